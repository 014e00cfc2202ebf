namespace Candor.Protocol;

/// <summary>The stable reasons the collector gives for refusing an event or a request.</summary>
internal static class RejectionReasons
{
    /// <summary>The item is not a JSON object of the event shape.</summary>
    public const string Malformed = "malformed";

    /// <summary>The product does not declare the event.</summary>
    public const string UndeclaredEvent = "undeclared-event";

    /// <summary>The event does not declare the property or measurement.</summary>
    public const string UndeclaredProperty = "undeclared-property";

    /// <summary>The value does not fit the declared kind, list, range or allow list.</summary>
    public const string InvalidValue = "invalid-value";

    /// <summary>The event names a product other than the key's, or a manifest revision the collector does not have.</summary>
    public const string WrongProduct = "wrong-product";

    /// <summary>The event is larger than <see cref="ProtocolConstants.MaxEventBytes"/>.</summary>
    public const string TooLarge = "too-large";

    /// <summary>
    /// A deletion request's proof does not match what the collector holds for the install, or it holds nothing for it
    /// (403). Nothing was deleted; the answer is the same whether the install exists or not.
    /// </summary>
    public const string ProofMismatch = "proof-mismatch";

    /// <summary>The ingestion key is missing or unknown (401).</summary>
    public const string UnknownKey = "unknown-key";

    /// <summary>The body is larger than allowed, before or after decompression (413).</summary>
    public const string BodyTooLarge = "body-too-large";

    /// <summary>The body is not JSON, or not gzip-compressed JSON (415).</summary>
    public const string UnsupportedMediaType = "unsupported-media-type";

    /// <summary>Too many requests for the key or the address (429, with Retry-After).</summary>
    public const string RateLimited = "rate-limited";

    /// <summary>
    /// The collector's store is behind, or could not commit (503, with Retry-After). Nothing of the request was
    /// acknowledged; the same events can be sent again.
    /// </summary>
    public const string StoreBusy = "store-busy";
}
