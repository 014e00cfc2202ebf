using System.CommandLine;
using Candor;
using Candor.CommandLine;

namespace ModelBuilder;

/// <summary>
/// <c>mlb</c>, a model builder in the style of the ML.NET CLI: it trains a model on a CSV dataset and writes it
/// to an output folder. Its telemetry is what the ML.NET CLI's privacy page describes, declared in
/// <c>candor.json</c>: the automatic <c>command</c> event (the command, the names of the options given, the value
/// of <c>--task</c>) and the tool's own <c>dataset</c> event (the file name hashed, the size as a bucket).
/// </summary>
public static class ModelBuilderTool
{
    /// <summary>The values <c>--task</c> takes; the manifest lists the same ones, so the value may be sent.</summary>
    public static readonly string[] Tasks = ["regression", "binary-classification", "multiclass-classification"];

    /// <summary>The tool's command line, with Candor added; run it with <see cref="CandorCommandLine.InvokeAsync"/>.</summary>
    public static CandorCommandLine Create(CandorOptions telemetry)
    {
        var root = new RootCommand("mlb: builds machine-learning models from your data (a Candor sample in the style of the ML.NET CLI).");

        // One instance of each option, shared by the training commands, as the ML.NET CLI's commands share theirs.
        var dataset = new Option<FileInfo>("--dataset", "-d") { Description = "The CSV file to train on.", Required = true };
        dataset.AcceptExistingOnly();
        var label = new Option<string>("--label-column-name", "--label-col") { Description = "The column to predict.", Required = true };
        var ignore = new Option<string[]>("--ignore-columns") { Description = "Columns not to learn from.", AllowMultipleArgumentsPerToken = true };
        var hasHeader = new Option<bool>("--has-header") { Description = "Whether the first line names the columns.", DefaultValueFactory = _ => true };
        var output = new Option<DirectoryInfo>("--output-path", "-o") { Description = "Where to write the model.", DefaultValueFactory = _ => new DirectoryInfo(".") };
        var name = new Option<string>("--name", "-n") { Description = "The name of the model and its files.", DefaultValueFactory = _ => "SampleModel" };
        var time = new Option<int>("--max-exploration-time", "-x") { Description = "The most seconds to spend looking for the best model.", DefaultValueFactory = _ => 10 };
        var verbosity = new Option<string>("--verbosity", "-v") { Description = "How much to print: q, m or diag.", DefaultValueFactory = _ => "m" };
        verbosity.AcceptOnlyFromAmong("q", "m", "diag");
        var task = new Option<string>("--task", "-T") { Description = "The machine-learning task.", Required = true };
        task.AcceptOnlyFromAmong(Tasks);

        Option[] shared = [dataset, label, ignore, hasHeader, output, name, time, verbosity];
        var autoTrain = Command("auto-train", "Explore models for a task and keep the best one.", [task, .. shared]);
        var classification = Command("classification", "Train a model that predicts a category.", shared);
        var regression = Command("regression", "Train a model that predicts a number.", shared);
        root.Subcommands.Add(autoTrain);
        root.Subcommands.Add(classification);
        root.Subcommands.Add(regression);

        // The root has no action of its own: `mlb` alone says a command is required and shows the help, and like
        // `mlnet` it collects nothing, whatever options it is given (a command line that does not parse is never tracked).
        var candor = root.UseCandor(telemetry);

        // The training actions use the Candor client for the dataset event, so they are set once UseCandor has
        // returned; candor.InvokeAsync takes them in.
        autoTrain.SetAction(parseResult => Train(parseResult, candor, parseResult.GetRequiredValue(task)));
        classification.SetAction(parseResult => Train(parseResult, candor, task: null));
        regression.SetAction(parseResult => Train(parseResult, candor, "regression"));
        return candor;

        int Train(ParseResult parseResult, CandorCommandLine candor, string? task)
        {
            var file = parseResult.GetRequiredValue(dataset);
            var request = new TrainingRequest(
                file,
                parseResult.GetRequiredValue(label),
                parseResult.GetValue(ignore) ?? [],
                parseResult.GetValue(hasHeader),
                parseResult.GetRequiredValue(output),
                parseResult.GetRequiredValue(name),
                TimeSpan.FromSeconds(parseResult.GetValue(time)),
                parseResult.GetRequiredValue(verbosity));
            Dataset data;
            try
            {
                data = Dataset.Read(request);
            }
            catch (DatasetException ex)
            {
                parseResult.InvocationConfiguration.Error.WriteLine("mlb: " + ex.Message);
                return 1;
            }

            var chosen = task ?? (data.LabelValues().Count() > 2 ? "multiclass-classification" : "binary-classification");

            // What the page names: the dataset's file name, hashed with the product's key (never the name or its
            // path), and the bucket its size falls in (never the size, never a byte of its content).
            candor.Client.Event("dataset")
                .With("task", chosen)
                .With("fileName", file.Name)
                .With("size", file.Length)
                .Track();

            return Trainer.Run(request, data, chosen, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error);
        }
    }

    private static Command Command(string name, string description, Option[] options)
    {
        var command = new Command(name, description);
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        return command;
    }
}

/// <summary>What a training command was asked to do.</summary>
internal sealed record TrainingRequest(
    FileInfo Dataset, string Label, IReadOnlyList<string> Ignore, bool HasHeader, DirectoryInfo Output, string Name, TimeSpan MaxTime, string Verbosity);
