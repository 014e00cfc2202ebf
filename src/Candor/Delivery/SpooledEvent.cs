namespace Candor.Delivery;

/// <summary>One event in the spool: its file, its ID and its JSON exactly as it will be sent.</summary>
internal sealed class SpooledEvent
{
    public SpooledEvent(string path, Guid id, DateTimeOffset spooledAt, byte[] json)
    {
        Path = path;
        Id = id;
        SpooledAt = spooledAt;
        Json = json;
    }

    /// <summary>The spool file that holds the event.</summary>
    public string Path { get; }

    /// <summary>The event's ID, read from its JSON.</summary>
    public Guid Id { get; }

    /// <summary>When the event was spooled (UTC).</summary>
    public DateTimeOffset SpooledAt { get; }

    /// <summary>The event's UTF-8 JSON, byte for byte as it was spooled, printed and will be sent.</summary>
    public byte[] Json { get; }
}
