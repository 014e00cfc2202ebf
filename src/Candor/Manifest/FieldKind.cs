namespace Candor.Manifest;

/// <summary>
/// What a declared property or measurement holds. There is deliberately no free-form string kind:
/// every value that leaves the machine is a listed member, a number, a keyed hash or a scrubbed signature.
/// </summary>
public enum FieldKind
{
    /// <summary>One of the values listed in the manifest, sent verbatim.</summary>
    Enum,

    /// <summary>A boolean.</summary>
    Bool,

    /// <summary>A number with a unit and an allowed range (a measurement).</summary>
    Number,

    /// <summary>A duration, sent in milliseconds (a measurement).</summary>
    Duration,

    /// <summary>A number that is replaced by the bucket it falls into; the raw value never leaves.</summary>
    Bucket,

    /// <summary>A value replaced by its keyed hash (HMAC-SHA256, keyed per product); the raw value never leaves.</summary>
    Hash,

    /// <summary>
    /// A version number such as <c>1.2.3</c> or <c>1.2.3-preview.1</c> in <see cref="Protocol.VersionGrammar"/>: build
    /// metadata and any pre-release label other than alpha, beta, preview or rc are cut.
    /// </summary>
    Version,

    /// <summary>A name sent verbatim only if it is on the declared allow list, else hashed like <see cref="Hash"/>.</summary>
    NameOrHash,

    /// <summary>A bounded list of values of one other kind.</summary>
    List,

    /// <summary>A scrubbed exception signature: type names and the tool's own frames, no messages, no paths.</summary>
    Stack,
}
