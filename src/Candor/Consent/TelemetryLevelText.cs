using System.Diagnostics.CodeAnalysis;

namespace Candor.Consent;

/// <summary>
/// The words for <see cref="TelemetryLevel"/> wherever people write a level: <c>CANDOR_TELEMETRY</c>, the
/// settings file, the machine policy and the <c>candor</c> tool. One spelling, lower case, any case accepted.
/// </summary>
internal static class TelemetryLevelText
{
    /// <summary>The accepted words, for messages: <c>off|local|errors|all</c>.</summary>
    public const string Choices = "off|local|errors|all";

    public static string ToText(TelemetryLevel level) => level switch
    {
        TelemetryLevel.Off => "off",
        TelemetryLevel.Local => "local",
        TelemetryLevel.Errors => "errors",
        TelemetryLevel.All => "all",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "not a telemetry level"),
    };

    public static bool TryParse([NotNullWhen(true)] string? text, out TelemetryLevel level)
    {
        var value = text.AsSpan().Trim();
        if (value.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            level = TelemetryLevel.Off;
        }
        else if (value.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            level = TelemetryLevel.Local;
        }
        else if (value.Equals("errors", StringComparison.OrdinalIgnoreCase))
        {
            level = TelemetryLevel.Errors;
        }
        else if (value.Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            level = TelemetryLevel.All;
        }
        else
        {
            level = TelemetryLevel.Off;
            return false;
        }

        return true;
    }
}
