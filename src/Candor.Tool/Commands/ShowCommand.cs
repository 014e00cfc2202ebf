using System.CommandLine;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;
using Candor.Manifest;

namespace Candor.Tool.Commands;

/// <summary><c>candor show [P]</c>: a product's catalogue (its privacy page, from its manifest); without P, the products known.</summary>
internal static class ShowCommand
{
    public static Command Create(CandorMachine machine)
    {
        var json = new Option<bool>("--json") { Description = "Write the product's manifest (JSON) instead of its page; without a product, the list as JSON." };
        var product = new Argument<string?>("product") { Description = "The product whose catalogue to show (see 'candor status').", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("show", "Show everything a tool may collect and why: the page generated from its manifest.") { product, json };
        command.SetAction(parseResult =>
        {
            var output = CommandOutput.For(parseResult, parseResult.GetValue(json));
            if (parseResult.GetValue(product) is not { } id)
            {
                return List(output, machine);
            }

            if (!ManifestBuilder.IdPattern().IsMatch(id))
            {
                return output.Fail($"candor: '{id}' is not a product ID. See 'candor status' for the products on this machine.", ExitCodes.Usage);
            }

            if (machine.Record(id)?.Manifest is not { } manifest)
            {
                return output.Fail($"candor: no run of '{id}' has recorded its manifest on this machine. Its own 'telemetry show' command shows it.");
            }

            output.Out.Write(output.Json ? manifest.Json.TrimEnd() + Environment.NewLine : PrivacyPage.ToMarkdown(manifest));
            return ExitCodes.Success;
        });
        return command;
    }

    private static int List(CommandOutput output, CandorMachine machine)
    {
        var products = machine.Products().Select(p => (Product: p, Manifest: machine.Record(p)?.Manifest)).ToList();
        if (output.Json)
        {
            output.WriteJson(writer =>
            {
                writer.WriteStartArray();
                foreach (var (product, manifest) in products)
                {
                    writer.WriteStartObject();
                    writer.WriteString("product", product);
                    Reports.WriteNullable(writer, "name", manifest?.Name);
                    writer.WriteNumber("events", manifest?.Events.Count ?? 0);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            });
            return ExitCodes.Success;
        }

        foreach (var (product, manifest) in products)
        {
            output.Line(manifest is null
                ? $"{output.Strong(product)}  (manifest not recorded here)"
                : $"{output.Strong(product)}  {manifest.Name}: {manifest.Events.Count} declared {(manifest.Events.Count == 1 ? "event" : "events")}");
        }

        output.Line(products.Count == 0 ? "No Candor-enabled tool has recorded its manifest on this machine yet." : "Show one with 'candor show <product>'.");
        return ExitCodes.Success;
    }
}
