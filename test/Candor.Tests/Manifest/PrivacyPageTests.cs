using System.Text;
using Candor.Manifest;
using Candor.Tests.Support;

namespace Candor.Tests.Manifest;

public class PrivacyPageTests
{
    private static readonly string[] Sections =
    [
        "# Sample Tool telemetry and privacy",
        "## What is collected and why",
        "## What every event carries",
        "## What is never collected",
        "## How to opt out",
        "## See and erase what is sent",
        "## Retention",
        "## Disclosure",
        "## Contact",
    ];

    private static string SamplePage() => PrivacyPage.ToMarkdown(TelemetryManifest.Parse(Some.ManifestJson));

    [Fact]
    public void ToMarkdown_SampleManifest_HasEverySectionInOrder()
    {
        var page = SamplePage();

        var positions = Sections.Select(s => page.IndexOf("\n" + s + "\n", StringComparison.Ordinal)).ToList();

        Assert.StartsWith(Sections[0] + "\n", page, StringComparison.Ordinal);
        Assert.All(positions.Skip(1), p => Assert.True(p > 0));
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public void ToMarkdown_SampleManifest_ListsEveryEventAndDataPointWithItsMeaning()
    {
        var manifest = TelemetryManifest.Parse(Some.ManifestJson);

        var page = PrivacyPage.ToMarkdown(manifest);

        foreach (var e in manifest.Events)
        {
            Assert.Contains($"### `{e.Name}`\n\n{e.Description}\n", page, StringComparison.Ordinal);
            Assert.Contains($"- **Why:** {e.Purpose}\n", page, StringComparison.Ordinal);
            foreach (var f in e.Fields)
            {
                Assert.Matches($@"\n\| `{f.Name}` \| [^\n]+ \| {System.Text.RegularExpressions.Regex.Escape(f.Description)} \|\n", page);
            }
        }

        Assert.Contains("- **Level:** usage (sent only when telemetry is at the `all` level)", page, StringComparison.Ordinal);
        Assert.Contains("- **Level:** error (sent when telemetry is at the `errors` or `all` level)", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_SampleManifest_DescribesEveryKindInPlainWords()
    {
        var page = SamplePage();

        Assert.Contains("| `triplet` | one of: `x64-linux`, `x64-windows`, `arm64-osx` |", page, StringComparison.Ordinal);
        Assert.Contains("| `size` | bucket of bytes: `<1000`, `1000-100000`, `>=100000` (the exact value is never sent) |", page, StringComparison.Ordinal);
        Assert.Contains("| `dataset` | keyed hash (the value itself is never sent) |", page, StringComparison.Ordinal);
        Assert.Contains("| `cached` | true or false |", page, StringComparison.Ordinal);
        Assert.Contains("| `toolVersion` | a version number", page, StringComparison.Ordinal);
        Assert.Contains("| `buildTime` | a duration, in milliseconds |", page, StringComparison.Ordinal);
        Assert.Contains("| `retries` | a count between 0 and 100 |", page, StringComparison.Ordinal);
        Assert.Contains("| `stack` | exception type names and this tool's own method names, never messages or file paths |", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_NumberInUnitCode_ReadsAsACode()
    {
        var page = PrivacyPage.ToMarkdown(TelemetryManifest.Parse("""
            { "product": "p", "disclosure": { "text": "t" }, "events": [ { "name": "command", "description": "d", "purpose": "p",
              "measurements": [ { "name": "exitCode", "kind": "number", "unit": "code", "minimum": -1, "maximum": 255, "description": "The exit code." } ] } ] }
            """));

        Assert.Contains("| `exitCode` | a code between -1 and 255 | The exit code. |", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_NameOrHashList_MentionsTheAllowListAndItsSize()
    {
        var page = SamplePage();

        Assert.Contains(
            "| `packages` | a list of up to 20 items, each the name if it is one of the 2 public names listed below, else a keyed hash |",
            page,
            StringComparison.Ordinal);
        Assert.Contains("The public names `packages` sends as they are: `zlib`, `openssl`.", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_NumberWithUnit_SaysUnitAndRange()
    {
        var json = Some.ManifestJson.Replace("\"unit\": \"count\"", "\"unit\": \"bytes\"");

        var page = PrivacyPage.ToMarkdown(TelemetryManifest.Parse(json));

        Assert.Contains("| `retries` | a number of bytes between 0 and 100 |", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_SampleManifest_ListsEveryWayToOptOutInConsentOrder()
    {
        var page = SamplePage();
        const string rule = "any value but empty, `0`, `false`, `no`, `off` or `n`";

        string[] steps =
        [
            "1. For one run: pass `--disable-metrics` or `--disable-telemetry` on the command line.",
            $"2. For Sample Tool: set `SAMPLE_DISABLE_METRICS` to {rule}",
            $"3. For every tool that honours it: set `DO_NOT_TRACK` to {rule}",
            "4. For every Candor tool: set `CANDOR_TELEMETRY` to `off`. It also accepts `local`",
            "5. For good: run `candor disable --product sample`, or the tool's own `telemetry disable` command",
            "6. If you do nothing: telemetry is on",
        ];
        var positions = steps.Select(s => page.IndexOf(s, StringComparison.Ordinal)).ToList();

        Assert.All(positions, p => Assert.True(p > 0));
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public void ToMarkdown_NoProductVariables_NumbersTheStepsWithoutAGap()
    {
        var json = Some.ManifestJson.Replace("\"environmentVariables\": [\"SAMPLE_DISABLE_METRICS\"], ", "");

        var page = PrivacyPage.ToMarkdown(TelemetryManifest.Parse(json));

        Assert.Contains("\n2. For every tool that honours it: set `DO_NOT_TRACK`", page, StringComparison.Ordinal);
        Assert.Contains("\n5. If you do nothing:", page, StringComparison.Ordinal);
        Assert.DoesNotContain("set `SAMPLE_DISABLE_METRICS`", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_SampleManifest_SaysHowToSeeAndEraseWhatIsSent()
    {
        var page = SamplePage();

        Assert.Contains("`--printmetrics`", page, StringComparison.Ordinal);
        Assert.Contains("`CANDOR_TELEMETRY_DEBUG=1`", page, StringComparison.Ordinal);
        Assert.Contains("`candor events --product sample`", page, StringComparison.Ordinal);
        Assert.Contains("`candor pending`", page, StringComparison.Ordinal);
        Assert.Contains("`candor forget --product sample`", page, StringComparison.Ordinal);
        Assert.Contains("`candor purge`", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_SampleManifest_ListsWhatIsNeverCollected()
    {
        var page = SamplePage();

        Assert.Contains("Sample Tool never collects:\n\n- user names\n- file paths\n- the contents of your files\n", page, StringComparison.Ordinal);
        Assert.Contains("a raw MAC address or a raw IP address", page, StringComparison.Ordinal);
        Assert.Contains("truncates it to /24 (IPv4) or /48 (IPv6), may derive a country from that, and stores neither", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_SampleManifest_StatesRetentionDisclosureAndContact()
    {
        var page = SamplePage();

        Assert.Contains("The collector keeps events for at most 14 months; older events are deleted on a schedule.", page, StringComparison.Ordinal);
        Assert.Contains("(disclosure version 1)", page, StringComparison.Ordinal);
        Assert.Contains("```console\nTelemetry\n---------\nsample collects usage data.", page, StringComparison.Ordinal);
        Assert.Contains("<https://example.org/sample/issues>", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_ManifestStillAskingForAMachineHash_MentionsNoneAsNoneIsSent()
    {
        Assert.Contains("\"machineHash\": true", Some.ManifestJson, StringComparison.Ordinal);

        var page = SamplePage();

        Assert.DoesNotContain("machine hash", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("network adapter", page, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ToMarkdown_KeyedHashes_AreSaidToBeKeyedPerInstall_AndDeletionToTakeTheSecret()
    {
        var page = SamplePage();

        Assert.Contains("a key made from a random secret of your install", page, StringComparison.Ordinal);
        Assert.Contains("knowing the ID alone deletes nothing", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_OptInManifest_SaysTelemetryIsOffUntilEnabled()
    {
        var json = Some.ManifestJson.Replace("\"consent\": \"opt-out\"", "\"consent\": \"opt-in\"");

        var page = PrivacyPage.ToMarkdown(TelemetryManifest.Parse(json));

        Assert.Contains("Telemetry is **off** until you enable it", page, StringComparison.Ordinal);
        Assert.Contains("If you do nothing: telemetry is off until you enable it, with `candor enable --product sample`", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Telemetry is **on** by default", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_CiSuppressed_SaysNothingIsCollectedInCi()
    {
        var json = Some.ManifestJson.Replace("\"retentionMonths\": 14,", "\"retentionMonths\": 14, \"ci\": \"suppress\",");

        var page = PrivacyPage.ToMarkdown(TelemetryManifest.Parse(json));

        Assert.Contains("Nothing is collected in continuous integration (CI) runs.", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_PipeBacktickAndLineBreakInDescription_KeepTheTableRowIntact()
    {
        var json = Some.ManifestJson.Replace("\"The target triplet.\"", "\"The `a|b` triplet\\nof <the> build.\"");

        var page = PrivacyPage.ToMarkdown(TelemetryManifest.Parse(json));

        Assert.Contains("| The \\`a\\|b\\` triplet of \\<the> build. |\n", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_DisclosureHoldingAFence_UsesALongerFence()
    {
        var json = Some.ManifestJson.Replace("\"text\": \"Telemetry\\n", "\"text\": \"Run ```x``` to see.\\nTelemetry\\n");

        var page = PrivacyPage.ToMarkdown(TelemetryManifest.Parse(json));

        Assert.Contains("````console\nRun ```x``` to see.\n", page, StringComparison.Ordinal);
        Assert.Contains("--disable-metrics or SAMPLE_DISABLE_METRICS.\n````\n", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_NoContact_SaysSoInsteadOfALink()
    {
        var json = Some.ManifestJson.Replace("\"contact\": \"https://example.org/sample/issues\",", "");

        var page = PrivacyPage.ToMarkdown(TelemetryManifest.Parse(json));

        Assert.Contains("## Contact\n\nSample Tool names no privacy contact in its manifest", page, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMarkdown_SameManifest_GivesTheSameBytes()
    {
        var first = PrivacyPage.ToMarkdown(TelemetryManifest.Parse(Some.ManifestJson));
        var second = PrivacyPage.ToMarkdown(TelemetryManifest.Parse(Some.ManifestJson));

        Assert.Equal(Encoding.UTF8.GetBytes(first), Encoding.UTF8.GetBytes(second));
    }

    [Fact]
    public void Write_WriterWithWindowsNewLine_StillWritesLf()
    {
        var manifest = TelemetryManifest.Parse(Some.ManifestJson);
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture) { NewLine = "\r\n" };

        PrivacyPage.Write(manifest, writer);

        Assert.Equal(PrivacyPage.ToMarkdown(manifest), writer.ToString());
        Assert.DoesNotContain('\r', writer.ToString());
    }

    [Fact]
    public void Write_NullArgument_Throws()
    {
        var manifest = TelemetryManifest.Parse(Some.ManifestJson);

        Assert.Throws<ArgumentNullException>(() => PrivacyPage.Write(null!, TextWriter.Null));
        Assert.Throws<ArgumentNullException>(() => PrivacyPage.Write(manifest, null!));
    }

    // A change to the page must be seen by a person: when the output differs from the checked-in page, the new
    // output is written next to it as *.received.md, to be compared and, if right, copied over the approved file.
    [Fact]
    public void ToMarkdown_SampleManifest_MatchesTheApprovedPage()
    {
        var folder = Path.Combine(Repository.Root(), "test", "Candor.Tests", "Manifest", "Approved");
        var approvedPath = Path.Combine(folder, "sample.privacy.md");
        var receivedPath = Path.Combine(folder, "sample.privacy.received.md");
        var received = SamplePage();
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath) : "";

        if (received == approved)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received);
        Assert.Fail($"The privacy page changed. Compare {receivedPath} with {approvedPath}; if the change is right, copy it over the approved file.");
    }

    // docs/privacy-sample.md shows readers the page of the manifest docs/manifest.md uses as its example.
    [Fact]
    public void DocsSample_IsTheApprovedPage()
    {
        var root = Repository.Root();

        var docs = File.ReadAllText(Path.Combine(root, "docs", "privacy-sample.md"));

        Assert.Equal(File.ReadAllText(Path.Combine(root, "test", "Candor.Tests", "Manifest", "Approved", "sample.privacy.md")), docs);
    }
}
