namespace Candor.Manifest;

/// <summary>Whether an event reports normal usage or an error; the <c>errors</c> consent level keeps only the latter.</summary>
public enum EventLevel
{
    /// <summary>Normal usage: commands run, features used, durations.</summary>
    Usage,

    /// <summary>A failure, error report or crash.</summary>
    Error,
}
