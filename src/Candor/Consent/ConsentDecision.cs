namespace Candor.Consent;

/// <summary>The effective telemetry level and the source that decided it, with a sentence saying how.</summary>
/// <param name="Level">The effective level.</param>
/// <param name="Source">The source that decided it.</param>
/// <param name="Detail">How, for people: for example <c>SAMPLE_DISABLE_METRICS=1</c> or <c>settings.json: products.kmpkg = off</c>.</param>
public sealed record ConsentDecision(TelemetryLevel Level, ConsentSource Source, string Detail);
