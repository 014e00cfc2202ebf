using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ModelToolkit;

// mt-benchmark: measures how fast a model runs, as OpenVINO's benchmark tool does. Its telemetry is the
// toolkit's: one UseToolkitTelemetry call.
var model = new Argument<string>("model") { Description = "The model to run." };
var device = new Option<string>("--device", "-d") { Description = "The device to run on.", DefaultValueFactory = _ => "CPU" };
device.AcceptOnlyFromAmong("CPU", "GPU", "NPU");
var iterations = new Option<int>("--iterations", "-n") { Description = "How many inferences to run.", DefaultValueFactory = _ => 100 };
var root = new RootCommand("mt-benchmark: measures a model's throughput.") { model, device, iterations };

var candor = root.UseToolkitTelemetry("benchmark", typeof(Program).Assembly);
root.SetAction(parseResult =>
{
    var path = parseResult.GetRequiredValue(model);
    var error = parseResult.InvocationConfiguration.Error;
    if (parseResult.GetRequiredValue(device) != "CPU")
    {
        // This build runs on the CPU only: the error is handled, explained, and reported by its reason.
        error.WriteLine($"[ ERROR ] Device {parseResult.GetRequiredValue(device)} is not available on this machine.");
        candor.ReportError("benchmark", "device-unavailable");
        return 1;
    }

    if (candor.LoadModel("benchmark", path, error) is not { } loaded)
    {
        return 1;
    }

    var count = parseResult.GetValue(iterations);
    var input = Enumerable.Repeat(1f, loaded.Rows[0].Length).ToArray();
    var started = Stopwatch.GetTimestamp();
    for (var i = 0; i < count; i++)
    {
        loaded.Run(input);
    }

    var seconds = Math.Max(Stopwatch.GetElapsedTime(started).TotalSeconds, 1e-9);
    parseResult.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[ INFO ] {count} iterations, throughput {count / seconds:F0} FPS"));
    return 0;
});

return await candor.InvokeAsync(args);
