using TinyInference;

// An application that embeds TinyInference: `tiny-infer [--no-telemetry] [--toggle] model [input...]`.
// --no-telemetry calls DisableTelemetryEvents before the first session; --toggle disables telemetry after
// loading the model and enables it again before disposing, to show the switch acting on a live library.
var noTelemetry = args.Contains("--no-telemetry");
var toggle = args.Contains("--toggle");
var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
if (positional.Length == 0)
{
    Console.Error.WriteLine("usage: tiny-infer [--no-telemetry] [--toggle] model [input...]");
    return 2;
}

if (noTelemetry)
{
    InferenceEnvironment.DisableTelemetryEvents();
}

try
{
    using var session = new InferenceSession(positional[0]);
    if (toggle)
    {
        InferenceEnvironment.DisableTelemetryEvents();
    }

    var input = positional.Skip(1).Select(float.Parse).ToArray();
    Console.WriteLine(string.Join(' ', session.Run(input)));
    if (toggle)
    {
        InferenceEnvironment.EnableTelemetryEvents();
    }

    return 0;
}
catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException or FormatException)
{
    Console.Error.WriteLine($"tiny-infer: {e.Message}");
    return 1;
}
