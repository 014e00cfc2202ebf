using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;
using Candor.Consent;
using Candor.Identity;
using Candor.Manifest;

namespace Candor.CommandLine.Commands;

/// <summary>
/// <c>enable</c>, <c>disable</c>, <c>local</c> and <c>errors</c>: saves the user's choice for one product or for
/// the whole machine, then says what now decides, because a variable such as <c>DO_NOT_TRACK</c> can still win
/// over the choice just saved and a user should not have to guess.
/// </summary>
internal static class LevelChange
{
    /// <summary>The verbs, their level and their help text.</summary>
    public static IReadOnlyList<(string Verb, TelemetryLevel Level, string Description)> Verbs { get; } =
    [
        ("enable", TelemetryLevel.All, "Turn telemetry on: send usage and error events."),
        ("disable", TelemetryLevel.Off, "Turn telemetry off, and erase the install ID, unsent events and logs."),
        ("local", TelemetryLevel.Local, "Record events on this machine only; never send them."),
        ("errors", TelemetryLevel.Errors, "Send error and crash events only."),
    ];

    /// <summary>Saves the choice and reports it. Returns the exit code.</summary>
    /// <param name="output">Where to report.</param>
    /// <param name="machine">The home whose settings change.</param>
    /// <param name="level">The level chosen.</param>
    /// <param name="product">The product, or null for the machine-wide choice.</param>
    /// <param name="manifest">The product's manifest when known, to say what decides now.</param>
    /// <param name="canSend">Whether the product's build can send, when the tool itself says (see <see cref="CandorMachine.Status"/>).</param>
    public static int Apply(CommandOutput output, CandorMachine machine, TelemetryLevel level, string? product, TelemetryManifest? manifest, bool? canSend = null)
    {
        try
        {
            machine.Settings.SetLevel(level, product);
        }
        catch (IOException ex)
        {
            return output.Fail($"Could not save the choice: {ex.Message}");
        }

        manifest ??= product is null ? null : machine.Record(product)?.Manifest;
        var status = product is null ? null : machine.Status(product, manifest, canSend: canSend);
        if (status is { NoticePending: true } && manifest is not null && machine.Home is { } home)
        {
            // Turning telemetry on is the moment to read what it collects: the notice is shown now, on standard
            // error as a run shows it, so the next run collects instead of showing it and recording nothing.
            new FirstRunDisclosure(new IdentityStore(home, machine.Files, machine.Time), output.Error).Show(manifest);
            status = machine.Status(product!, manifest, canSend: canSend);
        }

        var ownChoices = product is null
            ? machine.Products().Select(p => (Product: p, Level: machine.Settings.GetLevel(p))).Where(p => p.Level is not null).ToList()
            : [];

        if (output.Json)
        {
            output.WriteJson(json =>
            {
                json.WriteStartObject();
                Reports.WriteNullable(json, "product", product);
                json.WriteString("choice", Reports.Text(level));
                if (status is not null)
                {
                    json.WritePropertyName("status");
                    Reports.WriteStatus(json, status);
                }
                else
                {
                    json.WriteStartObject("ownChoices");
                    foreach (var (p, l) in ownChoices)
                    {
                        json.WriteString(p, Reports.Text(l!.Value));
                    }

                    json.WriteEndObject();
                }

                json.WriteEndObject();
            });
            return ExitCodes.Success;
        }

        var who = product ?? "every Candor tool on this machine";
        output.Line($"Telemetry for {output.Strong(who)} is now {Reports.Level(output, level)}.");
        if (level == TelemetryLevel.Off)
        {
            output.Line(product is null
                ? "Every product's install ID, unsent events and logs on this machine were erased."
                : $"Its install ID, unsent events and logs on this machine were erased.");
        }

        if (status?.Decision is { } decision && (decision.Level != level || decision.Source is not (ConsentSource.UserProduct or ConsentSource.UserMachine)))
        {
            output.Line($"Note: here and now {decision.Detail}, so the level is {Reports.Level(output, decision.Level)}.");
        }

        if (ownChoices.Count > 0)
        {
            output.Line("These keep their own choice: " + string.Join(", ", ownChoices.Select(p => $"{p.Product} ({Reports.Text(p.Level!.Value)})")) + ".");
        }

        return ExitCodes.Success;
    }
}
