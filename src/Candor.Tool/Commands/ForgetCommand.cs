using System.CommandLine;
using System.Text.Json;
using Candor.CommandLine.Commands;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;
using Candor.Identity;
using Candor.Protocol;
using Candor.Tool.Forgetting;

namespace Candor.Tool.Commands;

/// <summary>
/// <c>candor forget [--product P]</c>: asks each product's collector to delete the events of every install ID
/// this machine used for it (the current one, those a <c>reset-id</c> replaced and those in the transparency log),
/// each with its deletion proof, then erases the product's local data. The local data stays when a request fails in a
/// way another try could mend (the collector unreachable or busy), so the user can try again: without the install's
/// secret nothing could be deleted any more. An install with no proof kept (from before Candor kept them) or one the
/// collector holds nothing for is reported with its ID, for the collector's administrator, and does not stop the erasing.
/// </summary>
internal static class ForgetCommand
{
    public static Command Create(CandorMachine machine, CollectorDeletion deletion)
    {
        var json = SharedOptions.Json();
        var product = ProductOption.Create(machine, "Forget this product only; without it, every product on this machine.");
        var command = new Command("forget", "Ask the collectors to delete the events sent from this machine, then erase the local install IDs.") { product, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = CommandOutput.For(parseResult, parseResult.GetValue(json));
            var outcomes = new List<Outcome>();
            foreach (var id in ProductOption.Selected(machine, parseResult.GetValue(product)))
            {
                outcomes.Add(await ForgetAsync(machine, deletion, id, cancellationToken).ConfigureAwait(false));
            }

            Write(output, outcomes);
            return outcomes.All(o => o.Problem is null) ? ExitCodes.Success : ExitCodes.Failed;
        });
        return command;
    }

    private static async Task<Outcome> ForgetAsync(CandorMachine machine, CollectorDeletion deletion, string product, CancellationToken cancellationToken)
    {
        var identity = machine.Status(product, manifest: null).Identity;
        var sent = machine.Sent(product);
        var proofs = Proofs(identity, product);
        var installs = sent.Select(s => Install(s.Json)).OfType<Guid>()
            .Prepend(identity?.Install ?? Guid.Empty)
            .Concat(identity?.Retired.Select(r => r.Install) ?? [])
            .Where(i => i != Guid.Empty).Distinct().ToList();
        var record = machine.Record(product);
        var outcome = new Outcome(product, record?.Endpoint);
        if (installs.Count == 0)
        {
            return outcome;
        }

        if (record is { Endpoint: { } endpoint, IngestionKey: { } key })
        {
            foreach (var install in installs)
            {
                var result = proofs.TryGetValue(install, out var proof)
                    ? await deletion.DeleteAsync(endpoint, key, install, proof, cancellationToken).ConfigureAwait(false)
                    : DeletionResult.Unproven($"no deletion proof is kept for install {install} (it was replaced or last used before Candor kept one): ask the administrator of {endpoint} to delete it");
                outcome.Installs.Add((install, result));
            }
        }
        else if (sent.Count > 0)
        {
            return outcome with { Problem = "events were sent, but no run recorded the collector's address on this machine; run the tool once, then try again" };
        }

        var failed = outcome.Installs.FirstOrDefault(i => i.Result.Problem is not null);
        if (failed.Result is not null)
        {
            return outcome with { Problem = failed.Result.Problem };
        }

        if (machine.Home is { } home)
        {
            try
            {
                IdentityStore.EraseDirectory(machine.Files, home.ProductDirectory(product));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return outcome with { Problem = $"the collector deleted the events, but '{home.ProductDirectory(product)}' could not be erased: {ex.Message}" };
            }
        }

        return outcome with { Erased = true };
    }

    // The current install's proof comes from its secret (none in a file no run has opened since Candor kept one);
    // those a reset replaced were kept when their secret was dropped.
    private static Dictionary<Guid, string> Proofs(InstallIdentity? identity, string product)
    {
        var proofs = new Dictionary<Guid, string>();
        if (identity is null)
        {
            return proofs;
        }

        foreach (var retired in identity.Retired)
        {
            proofs[retired.Install] = retired.DeletionProof;
        }

        if (identity.Secret is { } secret)
        {
            proofs[identity.Install] = InstallSecret.DeletionProof(secret, product, identity.Install);
        }

        return proofs;
    }

    private static void Write(CommandOutput output, List<Outcome> outcomes)
    {
        if (output.Json)
        {
            output.WriteJson(writer =>
            {
                writer.WriteStartArray();
                foreach (var outcome in outcomes)
                {
                    writer.WriteStartObject();
                    writer.WriteString("product", outcome.Product);
                    Reports.WriteNullable(writer, "collector", outcome.Collector);
                    writer.WriteStartArray("installs");
                    foreach (var (install, result) in outcome.Installs)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("install", install);
                        if (result.Deleted is { } deleted)
                        {
                            writer.WriteNumber("deleted", deleted);
                        }
                        else
                        {
                            writer.WriteNull("deleted");
                        }

                        Reports.WriteNullable(writer, "problem", result.Problem);
                        Reports.WriteNullable(writer, "note", result.Note);
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    writer.WriteBoolean("erased", outcome.Erased);
                    Reports.WriteNullable(writer, "problem", outcome.Problem);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            });
            return;
        }

        foreach (var outcome in outcomes)
        {
            var name = output.Strong(outcome.Product);
            foreach (var (install, result) in outcome.Installs.Where(i => i.Result.Deleted is not null))
            {
                output.Line($"{name}: {outcome.Collector} deleted {result.Deleted} {(result.Deleted == 1 ? "event" : "events")} of install {install}.");
            }

            foreach (var (_, result) in outcome.Installs.Where(i => i.Result.Note is not null))
            {
                output.Error.WriteLine($"candor: {outcome.Product}: {result.Note}.");
            }

            if (outcome.Problem is not null)
            {
                output.Error.WriteLine($"candor: {outcome.Product}: {outcome.Problem}. Nothing was erased on this machine.");
            }
            else if (outcome.Erased)
            {
                output.Line($"{name}: erased the install ID, unsent events and logs on this machine.");
            }
            else
            {
                output.Line($"{name}: nothing to forget (no install ID on this machine).");
            }
        }

        if (outcomes.Count == 0)
        {
            output.Line("No Candor-enabled tool is known on this machine: nothing to forget.");
        }
    }

    private static Guid? Install(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty(WireNames.Install, out var install) && install.TryGetGuid(out var id) ? id : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Outcome(string Product, string? Collector)
    {
        public List<(Guid Install, DeletionResult Result)> Installs { get; } = [];

        public bool Erased { get; init; }

        public string? Problem { get; init; }
    }
}
