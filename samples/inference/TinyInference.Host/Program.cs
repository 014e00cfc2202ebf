using TinyInference;

// An application that embeds TinyInference: `tiny-infer [--no-telemetry] [--toggle] model [input...]`.
// --no-telemetry calls DisableTelemetryEvents before the first session; --toggle disables telemetry after
// loading the model, makes a run fail, and enables it again, to show the switch acting on a live library.
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
        try
        {
            session.Run([]);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"tiny-infer: {e.Message} (while telemetry was disabled)");
        }

        InferenceEnvironment.EnableTelemetryEvents();
    }

    var input = positional.Skip(1).Select(float.Parse).ToArray();
    Console.WriteLine(string.Join(' ', session.Run(input)));
    return 0;
}
catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException or FormatException)
{
    Console.Error.WriteLine($"tiny-infer: {e.Message}");
    return 1;
}
