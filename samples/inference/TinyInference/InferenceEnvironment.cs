using Candor;

namespace TinyInference;

/// <summary>Process-wide settings of TinyInference, as ONNX Runtime's <c>OrtEnv</c>.</summary>
public static class InferenceEnvironment
{
    internal const string Product = "tiny-inference";

    /// <summary>Turns TinyInference's telemetry events off for this process, at once, before or after sessions exist.</summary>
    public static void DisableTelemetryEvents() => CandorTelemetry.Disable(Product);

    /// <summary>Withdraws <see cref="DisableTelemetryEvents"/>. It never overrides the user's own opt-out.</summary>
    public static void EnableTelemetryEvents() => CandorTelemetry.Enable(Product);
}
