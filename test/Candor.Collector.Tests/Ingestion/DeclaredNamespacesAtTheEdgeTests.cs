using Candor.Collector.Storage;
using Candor.Protocol;
using Candor.Tests.Support;
using CsCheck;

namespace Candor.Collector.Tests.Ingestion;

/// <summary>
/// A stack value in the grammar's shape is stored only when every exception type in it is the product's (by the
/// namespaces its manifest revision declares), the framework's or <c>[external]</c>, and every frame the product's or
/// <c>[external]</c>: posted over real HTTP to a real SQLite file, each other value is refused on its own with
/// <c>invalid-value</c> and a reason that does not repeat it, and the rest of its batch is stored.
/// </summary>
public class DeclaredNamespacesAtTheEdgeTests
{
    // What Some.ManifestJson declares.
    private static readonly string[] Declared = ["Sample.Cli", "Candor.Collector.Tests"];

    // Names next to the edges of the declared namespaces: look-alikes that share characters but not whole segments,
    // identifiers that spell a user name, the global namespace.
    private static readonly string[] Types =
    [
        "System.IO.IOException", "Systemic.Failure", "Microsoft.Build.BuildException", "MicrosoftX.Failure", "Sample.Cli.Failure",
        "Sample.jsmith.Failure", "Sample.CliX.Failure", "jsmith", "Vendor.JsmithException", StackGrammar.ExternalType,
    ];

    private static readonly string[] Frames =
    [
        "Sample.Cli.Run", "Sample.Cli.Install.Run", "Sample.jsmith.Run", "Sample.Cli_jsmith.Run", "Sample.Run", "Program.Main",
        "System.Console.WriteLine", "Microsoft.Extensions.Run", "jsmith.Run", "Candor.Collector.Tests.Crash", "Candor.Collector.TestsX.Run",
        StackGrammar.ExternalFrame,
    ];

    [Fact]
    public async Task Batch_WithStacksNamingAnyNamespace_StoresExactlyThoseOfDeclaredOrFrameworkNames()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Ingestion:PermitsPerAddress"] = "100000" });
        var key = await collector.RegisterAsync();
        var stored = 0;
        var refused = 0;
        // Mostly names of known origin, so that a value with a single name of another origin is as common as one with many.
        var type = Gen.Frequency((1, Gen.OneOf(Types)), (5, Gen.OneOf("System.IO.IOException", "Microsoft.Build.BuildException", "Sample.Cli.Failure", StackGrammar.ExternalType)));
        var frame = Gen.Frequency((1, Gen.OneOf(Frames)), (6, Gen.OneOf("Sample.Cli.Run", "Sample.Cli.Install.Run", "Candor.Collector.Tests.Crash", StackGrammar.ExternalFrame)));
        var signature = Gen.Select(type.Array[1, 5], frame.Array[0, 8], (types, frames) => StackGrammar.Compose(types, frames)!);

        await signature.Array[1, 8].SampleAsync(async signatures =>
        {
            var events = signatures.Select(s => Some.Crash(s)).ToList();
            var answer = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, events));

            for (var i = 0; i < signatures.Length; i++)
            {
                var rejection = answer.Rejected.SingleOrDefault(r => r.Index == i);
                var known = GrammarOracle.IsStackOfNamespaces(signatures[i], Declared);
                Assert.True(known == (rejection is null), $"'{signatures[i]}': {rejection?.Detail}");
                if (rejection is not null)
                {
                    Assert.Equal(RejectionReasons.InvalidValue, rejection.Reason);
                    Assert.Equal(events[i].Id, rejection.Id);
                    Assert.Contains("declared namespaces (Sample.Cli, Candor.Collector.Tests)", rejection.Detail, StringComparison.Ordinal);
                    Assert.DoesNotContain("jsmith", rejection.Detail, StringComparison.OrdinalIgnoreCase);
                }
            }

            Assert.Equal(signatures.Length - answer.Rejected.Count, answer.Accepted);
            stored += answer.Accepted;
            refused += answer.Rejected.Count;
        }, iter: 100, threads: 1);

        var raw = await collector.Store.ReadRawAsync(new EventFilter(Some.Product, new(2026, 1, 1), new(2026, 12, 31)), 10_000, default);
        Assert.Equal(stored, raw.Count);
        Assert.All(raw, e => Assert.True(GrammarOracle.IsStackOfNamespaces((string)e.Properties["stack"], Declared), (string)e.Properties["stack"]));
        Assert.DoesNotContain(raw, e => ((string)e.Properties["stack"]).Contains("jsmith", StringComparison.OrdinalIgnoreCase));
        Assert.True(stored > 20 && refused > 20, $"{stored} stored, {refused} refused: the generator should reach both");
    }
}
