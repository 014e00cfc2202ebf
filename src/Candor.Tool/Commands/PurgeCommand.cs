using System.CommandLine;
using Candor.CommandLine.Commands;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;
using Candor.Identity;
using Candor.Storage;

namespace Candor.Tool.Commands;

/// <summary>
/// <c>candor purge</c>: deletes every file Candor keeps for this user (install IDs, unsent events, logs, the
/// catalogue, what Candor set aside) but the choices in <c>settings.json</c>, and the settings files Candor set aside:
/// deleting an opt-out would turn telemetry back on.
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

                // What Candor set aside goes too, but for old settings files: they may hold choices the user wants back.
                var setAside = Directory.Exists(home.Root) ? Directory.GetFileSystemEntries(home.Root, SetAsideName.Pattern("*")) : [];
                foreach (var path in setAside.Where(p => !Path.GetFileName(p).StartsWith("settings.json" + SetAsideName.Marker, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
                {
                    if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
                    {
                        IdentityStore.EraseDirectory(machine.Files, path);
                    }
                    else
                    {
                        machine.Files.DeleteFile(path);
                    }

                    deleted.Add(path);
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
