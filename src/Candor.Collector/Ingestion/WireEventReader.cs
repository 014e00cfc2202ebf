using System.Text.Json;
using Candor.Protocol;
using C = Candor.Protocol.WireNames.ContextMembers;

namespace Candor.Collector.Ingestion;

/// <summary>
/// Reads one batch item into a <see cref="WireEvent"/> straight from the batch's parsed document: the members of
/// <see cref="WireNames"/> with the kinds of <see cref="WireEvent"/>'s properties, as <see cref="ProtocolJsonContext"/>
/// reads them (unknown members ignored, null for an absent or null string). Property values stay elements of the batch
/// document instead of being copied into a document each, as the serializer's <see cref="JsonElement"/> converter does:
/// that copying was most of the allocation of ingestion. The event is only valid while the batch document lives. A
/// <c>machine</c> member, which older SDKs sent, is ignored: it is neither checked nor kept.
/// </summary>
internal static class WireEventReader
{
    /// <summary>The event, or the JSON path of the first member that does not have the event shape.</summary>
    public static (WireEvent? Event, string? ProblemPath) Read(JsonElement item)
    {
        var e = new WireEvent { Name = null!, Product = null!, Context = null! };
        foreach (var member in item.EnumerateObject())
        {
            var value = member.Value;
            string? text;
            string? problem = null;
            switch (member.Name)
            {
                case WireNames.Id:
                    problem = TryGuid(value, out var id) ? null : "";
                    e.Id = id;
                    break;
                case WireNames.Name:
                    problem = TryString(value, out text) ? null : "";
                    e.Name = text!;
                    break;
                case WireNames.Time:
                    DateTimeOffset time = default;
                    problem = value.ValueKind is JsonValueKind.String && value.TryGetDateTimeOffset(out time) ? null : "";
                    e.Time = time;
                    break;
                case WireNames.Product:
                    problem = TryString(value, out text) ? null : "";
                    e.Product = text!;
                    break;
                case WireNames.Revision:
                    var revision = 0;
                    problem = value.ValueKind is JsonValueKind.Number && value.TryGetInt32(out revision) ? null : "";
                    e.Revision = revision;
                    break;
                case WireNames.Install:
                    problem = TryGuid(value, out var install) ? null : "";
                    e.Install = install;
                    break;
                case WireNames.Session:
                    problem = TryGuid(value, out var session) ? null : "";
                    e.Session = session;
                    break;
                case WireNames.Verifier:
                    problem = TryString(value, out text) ? null : "";
                    e.Verifier = text;
                    break;

                // Older SDKs sent a hash of the MAC address when their manifest asked for one. Candor keeps nothing
                // derived from hardware: the value is skipped unread, whatever it holds, so those SDKs' batches are
                // still stored, without it.
                case WireNames.LegacyMachine:
                    break;
                case WireNames.Context:
                    problem = ReadContext(value, out var context);
                    e.Context = context!;
                    break;
                case WireNames.Properties:
                    problem = ReadProperties(value, out var properties);
                    e.Properties = properties;
                    break;
                case WireNames.Measurements:
                    problem = ReadMeasurements(value, out var measurements);
                    e.Measurements = measurements;
                    break;
            }

            if (problem is not null)
            {
                return (null, problem.Length == 0 ? $"$.{member.Name}" : $"$.{member.Name}.{problem}");
            }
        }

        return (e, null);
    }

    private static bool TryGuid(JsonElement value, out Guid guid)
    {
        guid = default;
        return value.ValueKind is JsonValueKind.String && value.TryGetGuid(out guid);
    }

    private static bool TryString(JsonElement value, out string? text)
    {
        text = value.ValueKind is JsonValueKind.String ? value.GetString() : null;
        return value.ValueKind is JsonValueKind.String or JsonValueKind.Null;
    }

    private static bool TryBool(JsonElement value, out bool flag)
    {
        flag = value.ValueKind is JsonValueKind.True;
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False;
    }

    // Each returns null when the member has the right shape, "" when the member itself is wrong, or the name
    // of the inner member that is wrong.
    private static string? ReadContext(JsonElement value, out WireContext? context)
    {
        context = null;
        if (value.ValueKind is JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind is not JsonValueKind.Object)
        {
            return "";
        }

        var c = new WireContext { Version = null!, Os = null!, OsVersion = null!, Arch = null!, Runtime = null!, Host = null! };
        foreach (var member in value.EnumerateObject())
        {
            string? text = null;
            var flag = false;
            var ok = member.Name switch
            {
                C.Version or C.Os or C.OsVersion or C.Arch or C.Runtime or C.Ci or C.Host => TryString(member.Value, out text),
                C.Container or C.Wsl or C.Interactive => TryBool(member.Value, out flag),
                _ => true,
            };
            if (!ok)
            {
                return member.Name;
            }

            switch (member.Name)
            {
                case C.Version: c.Version = text!; break;
                case C.Os: c.Os = text!; break;
                case C.OsVersion: c.OsVersion = text!; break;
                case C.Arch: c.Arch = text!; break;
                case C.Runtime: c.Runtime = text!; break;
                case C.Ci: c.Ci = text; break;
                case C.Host: c.Host = text!; break;
                case C.Container: c.Container = flag; break;
                case C.Wsl: c.Wsl = flag; break;
                case C.Interactive: c.Interactive = flag; break;
            }
        }

        context = c;
        return null;
    }

    private static string? ReadProperties(JsonElement value, out Dictionary<string, JsonElement>? properties)
    {
        properties = null;
        if (value.ValueKind is JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind is not JsonValueKind.Object)
        {
            return "";
        }

        properties = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in value.EnumerateObject())
        {
            properties[member.Name] = member.Value;
        }

        return null;
    }

    private static string? ReadMeasurements(JsonElement value, out Dictionary<string, double>? measurements)
    {
        measurements = null;
        if (value.ValueKind is JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind is not JsonValueKind.Object)
        {
            return "";
        }

        measurements = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var member in value.EnumerateObject())
        {
            if (member.Value.ValueKind is not JsonValueKind.Number || !member.Value.TryGetDouble(out var number))
            {
                return member.Name;
            }

            measurements[member.Name] = number;
        }

        return null;
    }
}
