using System.Diagnostics;
using System.Globalization;

namespace TinyInference;

/// <summary>
/// A loaded model that runs inference. The model format is deliberately tiny: a text file whose first line is
/// <c>tiny-model v1</c> and whose next lines are the weights of one linear layer, one row per line.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly float[][] _weights;
    private readonly SessionOptions _options;
    private long _runs;
    private long _runTicks;

    /// <summary>Loads the model at <paramref name="modelPath"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a tiny model.</exception>
    public InferenceSession(string modelPath, SessionOptions? options = null)
    {
        _options = options ?? new SessionOptions();
        var started = Stopwatch.GetTimestamp();
        try
        {
            _weights = Load(modelPath);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
        {
            LibraryTelemetry.Client?.Event("runtime-error").With("operation", "load").With("stack", e).Track();
            throw;
        }

        var loadTime = Stopwatch.GetElapsedTime(started);
        LibraryTelemetry.Client?.Event("session-creation")
            .With("modelFormat", Path.GetExtension(modelPath) == ".ort" ? "ort" : "onnx")
            .With("executionProvider", _options.ExecutionProvider)
            .With("optimization", _options.Optimization)
            .With("modelSize", new FileInfo(modelPath).Length)
            .With("loadTime", loadTime)
            .With("nodeCount", (long)_weights.Length)
            .Track();
    }

    /// <summary>Multiplies <paramref name="input"/> by the layer's weights.</summary>
    /// <exception cref="ArgumentException">The input's length does not match the model.</exception>
    public float[] Run(float[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var output = new float[_weights.Length];
            for (var row = 0; row < _weights.Length; row++)
            {
                if (_weights[row].Length != input.Length)
                {
                    throw new ArgumentException($"The model takes {_weights[row].Length} inputs, not {input.Length}.", nameof(input));
                }

                for (var i = 0; i < input.Length; i++)
                {
                    output[row] += _weights[row][i] * input[i];
                }
            }

            return output;
        }
        catch (ArgumentException e)
        {
            LibraryTelemetry.Client?.Event("runtime-error").With("operation", "run").With("stack", e).Track();
            throw;
        }
        finally
        {
            Interlocked.Increment(ref _runs);
            Interlocked.Add(ref _runTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    /// <summary>Ends the session and reports its aggregated run times.</summary>
    public void Dispose()
    {
        var runs = Interlocked.Exchange(ref _runs, 0);
        if (runs > 0)
        {
            LibraryTelemetry.Client?.Event("runtime-performance")
                .With("executionProvider", _options.ExecutionProvider)
                .With("runs", runs)
                .With("totalRunTime", Stopwatch.GetElapsedTime(0, Interlocked.Exchange(ref _runTicks, 0)))
                .Track();
        }
    }

    private static float[][] Load(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length < 2 || lines[0] != "tiny-model v1")
        {
            throw new InvalidDataException("Not a tiny model: the first line must be 'tiny-model v1'.");
        }

        return [.. lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(' ').Select(w => float.Parse(w, CultureInfo.InvariantCulture)).ToArray())];
    }
}
