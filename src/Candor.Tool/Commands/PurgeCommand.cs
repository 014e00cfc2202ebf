using System.CommandLine;
using Candor.CommandLine.Commands;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;
using Candor.Identity;

namespace Candor.Tool.Commands;

/// <summary>
/// <c>candor purge</c>: deletes every file Candor keeps for this user (install IDs, unsent events, logs, the
/// catalogue) but the choices in <c>settings.json</c>: deleting an opt-out would turn telemetry back on.
/// </summary>
internal static class PurgeCommand
{
    public static Command Create(CandorMachine machine)
    {
        var json = SharedOptions.Json();
        var command = new Command("purge", "Delete everything Candor keeps on this machine for every tool (install IDs, unsent events, logs), keeping only your choices.") { json };
        command.SetAction(parseResult =>
        {
            var output = CommandOutput.For(parseResult, parseResult.GetValue(json));
            if (machine.Home is not { } home)
            {
                return output.Fail($"candor: {machine.HomeProblem}");
            }

            var deleted = new List<string>();
            try
            {
                foreach (var folder in new[] { home.ProductsDirectory, home.CatalogDirectory })
                {
                    if (Directory.Exists(folder))
                    {
                        IdentityStore.EraseDirectory(machine.Files, folder);
                        deleted.Add(folder);
                    }
                }

                if (machine.Files.FileExists(home.UploadLock))
                {
                    machine.Files.DeleteFile(home.UploadLock);
                    deleted.Add(home.UploadLock);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return output.Fail($"candor: could not delete everything: {ex.Message}");
            }

            if (output.Json)
            {
                output.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteStartArray("deleted");
                    foreach (var path in deleted)
                    {
                        writer.WriteStringValue(path);
                    }

                    writer.WriteEndArray();
                    writer.WriteString("kept", home.SettingsFile);
                    writer.WriteEndObject();
                });
                return ExitCodes.Success;
            }

            output.Line(deleted.Count == 0 ? $"Nothing to delete in {home.Root}." : $"Deleted {string.Join(", ", deleted)}.");
            output.Line($"Kept your choices in {home.SettingsFile}.");
            return ExitCodes.Success;
        });
        return command;
    }
}
