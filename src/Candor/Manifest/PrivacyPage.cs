using System.Globalization;

namespace Candor.Manifest;

/// <summary>
/// Writes a product's privacy page in Markdown from its manifest: what is collected and why, what every
/// event carries, what is never collected, every way to opt out, how to see and erase what was sent,
/// retention, the disclosure and a contact. The page is the catalogue users read, so it is generated
/// rather than written by hand: it cannot drift from what the SDK actually lets through.
/// </summary>
public static class PrivacyPage
{
    // The page always uses '\n' so the same manifest gives the same bytes on every platform
    // (a checked-in page must not change when it is regenerated on Windows).
    private const char NewLine = '\n';

    private const string FlagRule = "any value but empty, `0`, `false`, `no`, `off` or `n` (in any case)";

    /// <summary>Returns the privacy page of <paramref name="manifest"/> as Markdown.</summary>
    /// <remarks>Deterministic: the same manifest always gives the same text, with <c>\n</c> line endings.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="manifest"/> is <see langword="null"/>.</exception>
    public static string ToMarkdown(TelemetryManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(manifest, writer);
        return writer.ToString();
    }

    /// <summary>Writes the privacy page of <paramref name="manifest"/> as Markdown to <paramref name="writer"/>.</summary>
    /// <remarks>
    /// Does no I/O beyond <paramref name="writer"/>, and blocks only as long as the writer does. Lines end with
    /// <c>\n</c> whatever <see cref="TextWriter.NewLine"/> says, so the output is the same on every platform.
    /// </remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static void Write(TelemetryManifest manifest, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(writer);
        var page = new PageWriter(writer);
        WriteIntroduction(manifest, page);
        WriteCollected(manifest, page);
        WriteCommonContext(manifest, page);
        WriteNeverCollected(manifest, page);
        WriteOptOut(manifest, page);
        WriteTransparency(manifest, page);
        WriteRetention(manifest, page);
        WriteDisclosure(manifest, page);
        WriteContact(manifest, page);
    }

    private static void WriteIntroduction(TelemetryManifest m, PageWriter page)
    {
        page.Line($"# {Inline(m.Name)} telemetry and privacy");
        page.Line();
        page.Line(
            $"{Inline(m.Name)} collects anonymous usage data to help its team improve it. Only what this page lists can be sent: " +
            $"every event, property and measurement is declared in {Inline(m.Name)}'s telemetry manifest (product `{m.Product}`, " +
            $"revision {Number(m.Revision)}), and anything else is dropped on your machine before it is queued.");
        page.Line();
        page.Line(m.Consent == ConsentModel.OptIn
            ? "Telemetry is **off** until you enable it (see [How to opt out](#how-to-opt-out) for how to enable it and turn it off again)."
            : $"Telemetry is **on** by default, after a notice shown the first time you run {Inline(m.Name)}. You can turn it off at any time: see [How to opt out](#how-to-opt-out).");
        page.Line();
        page.Line(m.Ci == CiPolicy.Suppress
            ? "Nothing is collected in continuous integration (CI) runs."
            : "Runs in continuous integration (CI) never show the notice and are labelled with the CI vendor, so they are not counted as users.");
        page.Line();
        page.Line($"Builds of {Inline(m.Name)} made from source send nothing: only official builds carry the key that lets them upload.");
        page.Line();
    }

    private static void WriteCollected(TelemetryManifest m, PageWriter page)
    {
        page.Line("## What is collected and why");
        page.Line();
        page.Line(
            $"{Inline(m.Name)} sends the events below, each with only the data points listed. A *keyed hash* is an HMAC-SHA256 " +
            $"with a key made from a random secret of your install of {Inline(m.Name)}, which never leaves your machine: the same value " +
            "gives the same hash within your install, so repeats can be counted, but another install's or another product's hash of it " +
            "differs, and without the secret nobody can find the value from its hash, not even by trying every likely value. " +
            "The value itself never leaves your machine.");
        page.Line();
        foreach (var e in m.Events)
        {
            page.Line($"### `{e.Name}`");
            page.Line();
            page.Line(Inline(e.Description));
            page.Line();
            page.Line($"- **Why:** {Inline(e.Purpose)}");
            page.Line(e.Level == EventLevel.Error
                ? "- **Level:** error (sent when telemetry is at the `errors` or `all` level)"
                : "- **Level:** usage (sent only when telemetry is at the `all` level)");
            page.Line();
            if (e.Fields.Count == 0)
            {
                page.Line("This event carries no data points beyond the ones [every event carries](#what-every-event-carries).");
                page.Line();
                continue;
            }

            page.Line("| Data point | Sent as | What it is |");
            page.Line("| --- | --- | --- |");
            foreach (var f in e.Fields)
            {
                page.Line($"| `{f.Name}` | {Kind(f)} | {Cell(f.Description)} |");
            }

            page.Line();
            foreach (var f in e.Fields)
            {
                var names = f.Kind == FieldKind.List ? f.Item : f;
                if (names is { Kind: FieldKind.NameOrHash })
                {
                    page.Line($"The public names `{f.Name}` sends as they are: {string.Join(", ", names.Allow.Select(a => $"`{a}`"))}.");
                    page.Line();
                }
            }
        }
    }

    private static void WriteCommonContext(TelemetryManifest m, PageWriter page)
    {
        page.Line("## What every event carries");
        page.Line();
        page.Line("Besides its own data points, every event carries:");
        page.Line();
        page.Line("- its name, the time it happened (UTC), a random event ID (so an upload that is retried is stored once) and the manifest revision it follows;");
        page.Line($"- a random install ID, created the first time {Inline(m.Name)} runs for your user and used by {Inline(m.Name)} alone (every product gets its own); the date it was created stays on your machine;");
        page.Line("- a random session ID, new for every run of the tool;");
        page.Line("- when events are uploaded, a deletion verifier: a one-way hash of a proof that only your install can make, so the collector deletes your install's events when your install asks, and for no one else;");
        page.Line($"- the version of {Inline(m.Name)};");
        page.Line("- the operating system's family (`linux`, `windows`, `macos`, `freebsd` or `other`) and version;");
        page.Line("- the processor architecture (such as `x64` or `arm64`) and the .NET version;");
        page.Line("- the CI vendor's name, when the run is a CI run;");
        page.Line("- whether the tool runs in a container, under the Windows Subsystem for Linux (WSL) and in an interactive terminal;");
        page.Line("- the kind of host: `process`, `container`, `notebook` or `ci`.");
        page.Line();
    }

    private static void WriteNeverCollected(TelemetryManifest m, PageWriter page)
    {
        page.Line("## What is never collected");
        page.Line();
        if (m.NeverCollected.Count > 0)
        {
            page.Line($"{Inline(m.Name)} never collects:");
            page.Line();
            foreach (var item in m.NeverCollected)
            {
                page.Line($"- {Inline(item)}");
            }

            page.Line();
        }

        page.Line($"Candor, the library that sends {Inline(m.Name)}'s telemetry, never sends or stores:");
        page.Line();
        page.Line("- user names, machine names, file or folder paths, email addresses, tokens or passwords;");
        page.Line("- a raw MAC address or a raw IP address;");
        page.Line("- exception messages or file paths: a crash report holds only exception type names and this tool's own method names;");
        page.Line("- any event, property or value this page does not list: those are dropped on your machine, and the collector refuses them again.");
        page.Line();
        page.Line(
            "The collector sees your IP address only while it receives events: it truncates it to /24 (IPv4) or /48 (IPv6), " +
            "may derive a country from that, and stores neither the address nor its truncated form.");
        page.Line();
    }

    private static void WriteOptOut(TelemetryManifest m, PageWriter page)
    {
        page.Line("## How to opt out");
        page.Line();
        page.Line("Each of these turns telemetry off. When several of them speak, the first one in this list decides.");
        page.Line();
        var flags = m.OptOutFlags.Append("--disable-telemetry").Distinct(StringComparer.Ordinal).Select(f => $"`{f}`");
        page.Line($"1. For one run: pass {Alternatives(flags)} on the command line.");
        var step = 2;
        if (m.OptOutEnvironmentVariables.Count > 0)
        {
            var variables = Alternatives(m.OptOutEnvironmentVariables.Select(v => $"`{v}`"));
            page.Line($"{Number(step++)}. For {Inline(m.Name)}: set {variables} to {FlagRule}.");
        }

        page.Line($"{Number(step++)}. For every tool that honours it: set `DO_NOT_TRACK` to {FlagRule}.");
        page.Line(
            $"{Number(step++)}. For every Candor tool: set `CANDOR_TELEMETRY` to `off`. It also accepts `local` (record events on this machine, " +
            "never send them), `errors` (send only error events) and `all` (send everything).");
        page.Line(
            $"{Number(step++)}. For good: run `candor disable --product {m.Product}`, or the tool's own `telemetry disable` command where it has one. " +
            "`candor disable` without `--product` turns off every Candor tool. The choice is kept once for your user and applies " +
            "to every environment on the machine.");
        page.Line(m.Consent == ConsentModel.OptIn
            ? $"{Number(step)}. If you do nothing: telemetry is off until you enable it, with `candor enable --product {m.Product}`, the tool's own `telemetry enable` command or `CANDOR_TELEMETRY=all`."
            : $"{Number(step)}. If you do nothing: telemetry is on, after the notice shown the first time you run {Inline(m.Name)}.");
        page.Line();
        page.Line(
            $"Turning telemetry off for good also erases the install ID and its secret, the unsent events and the local log {Inline(m.Name)} keeps on your machine. " +
            "Opting out has no other effect: no ID is created, nothing is sent, not even the fact that you opted out, and the notice is not shown.");
        page.Line();
    }

    private static void WriteTransparency(TelemetryManifest m, PageWriter page)
    {
        page.Line("## See and erase what is sent");
        page.Line();
        page.Line("- Pass `--printmetrics` (in tools that offer it) or set `CANDOR_TELEMETRY_DEBUG=1` to print every event on stderr, exactly as it would be sent.");
        page.Line($"- `candor events --product {m.Product}` lists the events that were sent from this machine; `candor pending` shows those waiting to be sent, exactly as they will be sent.");
        page.Line($"- `candor forget --product {m.Product}` asks the collector to delete the events sent under your install ID, proving it is your install with a secret kept on this machine (knowing the ID alone deletes nothing), then erases the local IDs and secret.");
        page.Line("- `candor purge` deletes everything Candor keeps on this machine, for every tool.");
        page.Line();
    }

    private static void WriteRetention(TelemetryManifest m, PageWriter page)
    {
        page.Line("## Retention");
        page.Line();
        page.Line(
            $"The collector keeps events for at most {Number(m.RetentionMonths)} {(m.RetentionMonths == 1 ? "month" : "months")}; " +
            "older events are deleted on a schedule.");
        page.Line();
    }

    private static void WriteDisclosure(TelemetryManifest m, PageWriter page)
    {
        page.Line("## Disclosure");
        page.Line();
        page.Line(
            $"{Inline(m.Name)} shows this notice on stderr the first time you run it (disclosure version {Number(m.DisclosureVersion)}). " +
            "It is shown again only when its version changes, never in CI, and nothing is sent in the run that shows it.");
        page.Line();

        // A fence longer than any run of backticks in the text, so the text cannot close it early.
        var fence = new string('`', Math.Max(3, LongestRun(m.DisclosureText, '`') + 1));
        page.Line(fence + "console");
        foreach (var line in m.DisclosureText.ReplaceLineEndings("\n").Split('\n'))
        {
            page.Line(line);
        }

        page.Line(fence);
        page.Line();
    }

    private static void WriteContact(TelemetryManifest m, PageWriter page)
    {
        page.Line("## Contact");
        page.Line();
        var contact = m.Contact?.Trim();
        page.Line(string.IsNullOrEmpty(contact)
            ? $"{Inline(m.Name)} names no privacy contact in its manifest; report a concern where you got the tool."
            : $"If you suspect that {Inline(m.Name)}'s telemetry collects sensitive data, or that the data is handled inappropriately, tell us: {Link(contact)}.");
    }

    // What a value is, in the words a user reads; the promise about the raw value goes with each kind that hides it.
    private static string Kind(FieldDefinition f) => f.Kind switch
    {
        FieldKind.Enum => "one of: " + string.Join(", ", f.Values.Select(v => $"`{v}`")),
        FieldKind.Bool => "true or false",
        FieldKind.Number when f.Unit is "count" => $"a count between {Number(f.Minimum)} and {Number(f.Maximum)}",
        FieldKind.Number when f.Unit is "code" => $"a code between {Number(f.Minimum)} and {Number(f.Maximum)}",
        FieldKind.Number => $"a number of {Cell(f.Unit ?? "")} between {Number(f.Minimum)} and {Number(f.Maximum)}",
        FieldKind.Duration => "a duration, in milliseconds",
        FieldKind.Bucket => (f.Unit is null ? "bucket: " : $"bucket of {Cell(f.Unit)}: ")
            + string.Join(", ", f.BucketLabels.Select(b => $"`{b}`"))
            + " (the exact value is never sent)",
        FieldKind.Hash => "keyed hash (the value itself is never sent)",
        FieldKind.Version => "a version number such as `1.2.3` (build metadata after `+` is dropped)",
        FieldKind.NameOrHash => $"the name if it is one of the {Number(f.Allow.Count)} public {(f.Allow.Count == 1 ? "name" : "names")} listed below, else a keyed hash",
        FieldKind.List when f.Item is not null => $"a list of up to {Number(f.MaxItems)} items, each {Kind(f.Item)}",
        FieldKind.Stack => "exception type names and this tool's own method names, never messages or file paths",
        _ => throw new InvalidOperationException($"field '{f.Name}' has kind {f.Kind}, which the privacy page cannot describe"),
    };

    private static string Alternatives(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count <= 1 ? string.Concat(list) : string.Join(", ", list.Take(list.Count - 1)) + " or " + list[^1];
    }

    private static string Link(string contact)
    {
        var plain = !contact.Any(c => char.IsWhiteSpace(c) || c is '<' or '>');
        if (plain && (contact.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || contact.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
        {
            return $"<{contact}>";
        }

        return plain && contact.Contains('@', StringComparison.Ordinal) ? $"<mailto:{contact}>" : Inline(contact);
    }

    // Manifest text stays Markdown (an author may use `code`), but a line break would end the paragraph or list item.
    private static string Inline(string text) => string.Join(' ', text.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    // Inside a table cell a '|' ends the cell and a stray backtick swallows the rest of the row, so both are escaped
    // (and '\' first, so an author's backslash stays a backslash; '<' so a description cannot open an HTML tag).
    private static string Cell(string text) => Inline(text)
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("|", "\\|", StringComparison.Ordinal)
        .Replace("`", "\\`", StringComparison.Ordinal)
        .Replace("<", "\\<", StringComparison.Ordinal);

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static int LongestRun(string text, char c)
    {
        int longest = 0, current = 0;
        foreach (var ch in text)
        {
            current = ch == c ? current + 1 : 0;
            longest = Math.Max(longest, current);
        }

        return longest;
    }

    private sealed class PageWriter(TextWriter writer)
    {
        public void Line(string text = "")
        {
            writer.Write(text);
            writer.Write(NewLine);
        }
    }
}
