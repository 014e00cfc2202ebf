using System.Globalization;
using System.Text.Json;

namespace ModelBuilder;

/// <summary>
/// Small but real training: for regression, the least-squares line on the single feature that explains the label
/// best; for classification, the nearest class centroid over every numeric feature. Each candidate is one "trial";
/// the exploration stops at the time limit or when the candidates run out.
/// </summary>
internal static class Trainer
{
    public static int Run(TrainingRequest request, Dataset data, string task, TextWriter output, TextWriter error)
    {
        var features = data.NumericFeatures(request.Ignore).ToList();
        if (features.Count == 0)
        {
            error.WriteLine($"mlb: {request.Dataset.Name} has no numeric column to learn from besides '{request.Label}'.");
            return 1;
        }

        var started = TimeProvider.System.GetTimestamp();
        var model = task == "regression"
            ? Regression(request, data, features, output, started)
            : Classification(data, features);
        var path = Path.Combine(request.Output.FullName, request.Name + ".model.json");
        Directory.CreateDirectory(request.Output.FullName);
        File.WriteAllText(path, JsonSerializer.Serialize(model, ModelJson.Default.TrainedModel));

        if (request.Verbosity != "q")
        {
            output.WriteLine($"Best model for {task}: {model.Kind} ({model.Metric} {model.Score.ToString("0.###", CultureInfo.InvariantCulture)}).");
            output.WriteLine($"Saved to {path}.");
        }

        return 0;
    }

    private static TrainedModel Regression(TrainingRequest request, Dataset data, List<int> features, TextWriter output, long started)
    {
        // A label that is not a number is a dataset the regression cannot read: this throws FormatException,
        // and the tool reports the crash (its type and frames, never the cell's text).
        var y = data.Numbers(data.Label);
        TrainedModel? best = null;
        foreach (var feature in features)
        {
            if (TimeProvider.System.GetElapsedTime(started) > request.MaxTime)
            {
                break;
            }

            var x = data.Numbers(feature);
            var (meanX, meanY) = (x.Average(), y.Average());
            var sxx = x.Sum(v => (v - meanX) * (v - meanX));
            var slope = sxx == 0 ? 0 : x.Zip(y).Sum(p => (p.First - meanX) * (p.Second - meanY)) / sxx;
            var intercept = meanY - (slope * meanX);
            var total = y.Sum(v => (v - meanY) * (v - meanY));
            var residual = x.Zip(y).Sum(p => Math.Pow(p.Second - (intercept + (slope * p.First)), 2));
            var r2 = total == 0 ? 1 : 1 - (residual / total);
            if (request.Verbosity == "diag")
            {
                output.WriteLine($"trial: line on '{data.Columns[feature]}', R² {r2.ToString("0.###", CultureInfo.InvariantCulture)}");
            }

            if (best is null || r2 > best.Score)
            {
                best = new TrainedModel("linear", "R²", r2, [data.Columns[feature]], new() { ["intercept"] = [intercept], ["slope"] = [slope] });
            }
        }

        return best ?? new TrainedModel("mean", "R²", 0, [], new() { ["intercept"] = [y.Average()] });
    }

    private static TrainedModel Classification(Dataset data, List<int> features)
    {
        var columns = features.Select(data.Numbers).ToList();
        var centroids = data.LabelValues().ToDictionary(
            c => c,
            c => columns.Select(values => values.Where((_, row) => data.Rows[row][data.Label] == c).Average()).ToArray(),
            StringComparer.Ordinal);
        var correct = Enumerable.Range(0, data.Rows.Count).Count(row =>
            centroids.MinBy(c => c.Value.Select((m, i) => Math.Pow(columns[i][row] - m, 2)).Sum()).Key == data.Rows[row][data.Label]);
        return new TrainedModel("nearest-centroid", "accuracy", (double)correct / data.Rows.Count, [.. features.Select(f => data.Columns[f])], centroids);
    }
}

/// <summary>A trained model as it is saved: what it is, how well it fit, and its parameters.</summary>
internal sealed record TrainedModel(string Kind, string Metric, double Score, string[] Features, Dictionary<string, double[]> Parameters);

[System.Text.Json.Serialization.JsonSerializable(typeof(TrainedModel))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ModelJson : System.Text.Json.Serialization.JsonSerializerContext;
