using System.Text.Json;
using Candor.Collector.Storage;
using Candor.Manifest;
using Candor.Protocol;
using Candor.Testing;
using Candor.Tests.Support;
using CsCheck;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Collector.Tests.Ingestion;

/// <summary>
/// The collector, posted to directly over real HTTP with a real SQLite file, stores a value only when it is in its
/// grammar (docs/protocol.md), refuses the event otherwise with its index and reason, and stores the rest of the
/// batch; and whatever a real SDK client sends is stored whole.
/// </summary>
public class GrammarAtTheEdgeTests
{
    private static readonly string[] Members = ["version", "os", "osVersion", "arch", "runtime", "ci", "host", "triplet", "packages", "size", "dataset", "toolVersion", "stack"];

    [Fact]
    public async Task Batch_WithAnyTextInAnyMember_StoresExactlyTheEventsInTheGrammar_AndNothingElse()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Ingestion:PermitsPerAddress"] = "100000" });
        var key = await collector.RegisterAsync();
        var stored = 0;
        var refused = 0;

        // Mostly hostile text, and now and then a value the member's grammar takes, so that every run reaches both
        // outcomes: hostile text alone falls in a grammar rarely enough that a whole run could store nothing.
        var placement = Gen.Int[0, Members.Length - 1].SelectMany(member =>
            Gen.Frequency((5, HostileText.Any), (1, Gen.OneOf(InGrammarExamples[Members[member]])))
                .Select(value => (value, member)));
        await placement.Array[1, 10].SampleAsync(async placements =>
        {
            var events = placements.Select(p => Place(p.Item1, Members[p.Item2])).ToList();
            var response = await collector.PostBatchAsync(key, events);
            var answer = await TestCollector.ReadBatchAsync(response);

            for (var i = 0; i < placements.Length; i++)
            {
                var (value, member) = (placements[i].Item1, Members[placements[i].Item2]);
                var rejection = answer.Rejected.SingleOrDefault(r => r.Index == i);
                Assert.True(InGrammar(member, value) == (rejection is null), $"{member} '{value}': {rejection?.Reason} {rejection?.Detail}");
                if (rejection is not null)
                {
                    Assert.Contains(rejection.Reason, new[] { RejectionReasons.InvalidValue, RejectionReasons.Malformed, RejectionReasons.TooLarge });
                    Assert.Equal(events[i].Id, rejection.Id);
                }
            }

            Assert.Equal(placements.Length - answer.Rejected.Count, answer.Accepted);
            stored += answer.Accepted;
            refused += answer.Rejected.Count;
        }, iter: 150, threads: 1);

        var raw = await collector.Store.ReadRawAsync(new EventFilter(Some.Product, new(2026, 1, 1), new(2026, 12, 31)), 10_000, default);
        Assert.Equal(stored, raw.Count);
        Assert.All(raw, AssertStoredInGrammar);
        Assert.True(stored > 0 && refused > 0, $"{stored} stored, {refused} refused: the generator should reach both");
    }

    [Fact]
    public void InGrammarExamples_AreInTheGrammar_ForEveryMember()
    {
        Assert.Equal(Members.Order(), InGrammarExamples.Keys.Order());
        Assert.All(InGrammarExamples, pair => Assert.All(pair.Value, value => Assert.True(InGrammar(pair.Key, value), $"{pair.Key} '{value}'")));
    }

    [Fact]
    public async Task SdkClient_WithAnyInput_SendsOnlyWhatTheCollectorStores()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Ingestion:PermitsPerAddress"] = "100000" });
        var key = await collector.RegisterAsync();
        var manifest = TelemetryManifest.Parse(Some.ManifestJson);
        var text = HostileText.Any;
        var gen = Gen.Select(Gen.OneOf(HostileText.Version, text), Gen.Select(text, text, text, text.Array[0, 5], Gen.Double, Gen.Double).Array[1, 6]);
        var sent = 0;

        await gen.SampleAsync(async (version, inputs) =>
        {
            var sink = new InMemorySink();
            var options = new CandorOptions { ProductVersion = version, TimeProvider = new FakeTimeProvider(Some.Now.AddMinutes(-1)) };
            options.OwnAssemblies.Add(typeof(GrammarAtTheEdgeTests).Assembly);
            using (var client = CandorClient.CreateForTesting(manifest, sink, options: options))
            {
                foreach (var (triplet, dataset, toolVersion, packages, size, duration) in inputs)
                {
                    client.Event("install")
                        .With("triplet", triplet).With("packages", packages).With("size", size).With("dataset", dataset)
                        .With("toolVersion", toolVersion).With("cached", size > 0).With("buildTime", duration).With("retries", size)
                        .Track();
                    client.Event("crash").With("stack", Thrown(triplet)).Track();
                }

                Assert.True(client.Flush(TimeSpan.FromSeconds(30)));
            }

            var body = "{\"events\":[" + string.Join(',', sink.Events.Select(e => e.Json)) + "]}";
            var answer = await TestCollector.ReadBatchAsync(await collector.PostRawAsync(key, System.Text.Encoding.UTF8.GetBytes(body), gzip: true));

            Assert.True(answer.Rejected.Count == 0, string.Join("; ", answer.Rejected.Select(r => $"{r.Reason}: {r.Detail} in {sink.Events[r.Index].Json}")));
            Assert.Equal(sink.Events.Count, answer.Accepted);
            sent += answer.Accepted;
        }, iter: 60, threads: 1);

        var raw = await collector.Store.ReadRawAsync(new EventFilter(Some.Product, new(2026, 1, 1), new(2026, 12, 31)), 10_000, default);
        Assert.Equal(sent, raw.Count);
        Assert.All(raw, AssertStoredInGrammar);
    }

    private static WireEvent Place(string value, string member)
    {
        var e = member is "stack" ? Some.Crash("System.IO.IOException at Sample.Cli.Run") : Some.Install();
        switch (member)
        {
            case "version": e.Context.Version = value; break;
            case "os": e.Context.Os = value; break;
            case "osVersion": e.Context.OsVersion = value; break;
            case "arch": e.Context.Arch = value; break;
            case "runtime": e.Context.Runtime = value; break;
            case "ci": e.Context.Ci = value; break;
            case "host": e.Context.Host = value; break;
            case "packages": e.Properties![member] = JsonSerializer.SerializeToElement(new[] { "zlib", value }); break;
            default: e.Properties![member] = Some.Json(value); break;
        }

        return e;
    }

    private static bool InGrammar(string member, string value) => member switch
    {
        "version" or "toolVersion" => GrammarOracle.IsVersion(value),
        "os" => GrammarOracle.OsFamilies.Contains(value),
        "osVersion" => GrammarOracle.IsOsVersion(value),
        "arch" => GrammarOracle.Architectures.Contains(value),
        "runtime" => GrammarOracle.IsNumericVersion(value),
        "ci" => GrammarOracle.CiProviders.Contains(value),
        "host" => GrammarOracle.Hosts.Contains(value),
        "triplet" => value is "x64-linux" or "x64-windows" or "arm64-osx",
        "packages" => value is "zlib" or "openssl" || GrammarOracle.IsHash(value),
        "size" => value is "<1000" or "1000-100000" or ">=100000",
        "dataset" => GrammarOracle.IsHash(value),
        _ => GrammarOracle.IsStack(value) && GrammarOracle.IsStackOfNamespaces(value, Declared),
    };

    // For each member, values its grammar takes (checked against InGrammar by the test that uses them).
    private static readonly Dictionary<string, string[]> InGrammarExamples = new()
    {
        ["version"] = ["1.2.3", "10.0.100-rc.2"],
        ["toolVersion"] = ["1.2.3", "2.0.0-preview.1"],
        ["os"] = GrammarOracle.OsFamilies,
        ["osVersion"] = ["22.04", "10.0.19045"],
        ["arch"] = GrammarOracle.Architectures,
        ["runtime"] = ["8.0.11", "10.0.0"],
        ["ci"] = GrammarOracle.CiProviders,
        ["host"] = GrammarOracle.Hosts,
        ["triplet"] = ["x64-linux", "arm64-osx"],
        ["packages"] = ["zlib", "openssl"],
        ["size"] = ["<1000", ">=100000"],
        ["dataset"] = ["0123456789abcdef0123456789abcdef"],
        ["stack"] = ["System.IO.IOException at Sample.Cli.Run"],
    };

    // What Some.ManifestJson declares as the product's namespaces.
    private static readonly string[] Declared = ["Sample.Cli", "Candor.Collector.Tests"];

    private static void AssertStoredInGrammar(RawEvent e)
    {
        var c = e.Context;
        Assert.Null(GrammarOracle.ContextProblem(new WireContext
        {
            Version = c.Version, Os = c.Os, OsVersion = c.OsVersion, Arch = c.Arch, Runtime = c.Runtime, Ci = c.Ci.Length == 0 ? null : c.Ci, Host = c.Host,
        }));
        foreach (var (name, value) in e.Properties)
        {
            switch (value)
            {
                case bool:
                    break;
                case string text:
                    Assert.True(InGrammar(name, text), $"{name} '{text}'");
                    break;
                case IEnumerable<string> items:
                    Assert.All(items, item => Assert.True(InGrammar(name, item), $"{name} item '{item}'"));
                    break;
                default:
                    Assert.Fail($"{name} holds a {value.GetType().Name}");
                    break;
            }
        }
    }

    private static Exception Thrown(string message)
    {
        try
        {
            Func<int> fail = () => throw new InvalidOperationException(message, new IOException(message));
            return new InvalidDataException(message, new AggregateException(message, new InvalidOperationException(fail().ToString())));
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
