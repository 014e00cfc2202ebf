namespace Candor.Consent;

/// <summary>How much a product may collect on this machine for this run.</summary>
public enum TelemetryLevel
{
    /// <summary>Nothing is recorded, written or sent; tracking does no work.</summary>
    Off,

    /// <summary>Events are recorded in the user's Candor home and never uploaded.</summary>
    Local,

    /// <summary>Only error and crash events are collected.</summary>
    Errors,

    /// <summary>Every declared event is collected.</summary>
    All,
}
