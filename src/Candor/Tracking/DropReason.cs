namespace Candor.Tracking;

/// <summary>Why an event, or a value of one, did not leave the tool.</summary>
public enum DropReason
{
    /// <summary>The manifest does not declare the event.</summary>
    UndeclaredEvent,

    /// <summary>The event does not declare the property or measurement.</summary>
    UndeclaredProperty,

    /// <summary>The value does not fit the declared kind: not a listed enum member, out of range, not a version, the wrong type.</summary>
    InvalidValue,

    /// <summary>A list held more items than the manifest allows; the rest were dropped.</summary>
    ListTruncated,

    /// <summary>The in-memory queue was full (the tool tracks faster than events can be written).</summary>
    QueueFull,

    /// <summary>The event could not be written to the spool (disk full, read-only folder) or the spool was over its bounds.</summary>
    SpoolFull,

    /// <summary>The client was shut down when the event was tracked.</summary>
    ShutDown,

    /// <summary>An unexpected failure inside the SDK; details go to the self-log and the event source.</summary>
    InternalError,
}
