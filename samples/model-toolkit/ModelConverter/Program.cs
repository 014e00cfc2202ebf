using System.CommandLine;
using System.Globalization;
using ModelToolkit;

// mt-convert: converts a model to the toolkit's intermediate representation (IR), as OpenVINO's model
// conversion API does. Its telemetry is the toolkit's: one UseToolkitTelemetry call.
var input = new Argument<string>("input") { Description = "The model to convert." };
var framework = new Option<string>("--framework") { Description = "The framework the model comes from.", DefaultValueFactory = _ => "onnx" };
framework.AcceptOnlyFromAmong("onnx", "tensorflow", "paddle");
var precision = new Option<string>("--precision") { Description = "The precision of the IR's weights.", DefaultValueFactory = _ => "FP32" };
precision.AcceptOnlyFromAmong("FP32", "FP16");
var outputDir = new Option<string?>("--output-dir") { Description = "Where to write the IR (default: the current folder)." };
var root = new RootCommand("mt-convert: converts a model to the Model Toolkit's IR.") { input, framework, precision, outputDir };

var candor = root.UseToolkitTelemetry("convert", typeof(Program).Assembly);
root.SetAction(parseResult =>
{
    var path = parseResult.GetRequiredValue(input);
    var error = parseResult.InvocationConfiguration.Error;
    if (candor.LoadModel("convert", path, error) is not { } model)
    {
        return 1;
    }

    var target = Path.Combine(parseResult.GetValue(outputDir) ?? ".", Path.GetFileNameWithoutExtension(path) + ".ir");
    File.WriteAllLines(target, IrWriter.Write(model, parseResult.GetRequiredValue(precision), path));
    parseResult.InvocationConfiguration.Output.WriteLine($"[ SUCCESS ] Generated IR: {target}");
    return 0;
});

return await candor.InvokeAsync(args);

/// <summary>Writes the IR: the layer's shape, then its weights at the chosen precision.</summary>
internal static class IrWriter
{
    public static IEnumerable<string> Write(TinyModel model, string precision, string source)
    {
        var width = model.Rows[0].Length;
        yield return $"tiny-ir v1 {precision} {model.Rows.Count}x{width}";
        foreach (var row in model.Rows)
        {
            // The IR is a dense matrix: a ragged layer is a case this converter does not handle yet, and it fails.
            if (row.Length != width)
            {
                throw new InvalidOperationException($"The layer of {source} is not rectangular: a row has {row.Length} weights, the first {width}.");
            }

            yield return string.Join(' ', row.Select(w => (precision == "FP16" ? (float)(Half)w : w).ToString(CultureInfo.InvariantCulture)));
        }
    }
}
