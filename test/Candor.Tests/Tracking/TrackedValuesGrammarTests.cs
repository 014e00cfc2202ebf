using System.Runtime.CompilerServices;
using System.Text.Json;
using Candor.Manifest;
using Candor.Protocol;
using Candor.Testing;
using Candor.Tests.Support;
using CsCheck;

namespace Candor.Tests.Tracking;

/// <summary>
/// Any text a tool passes, through every kind and as its product version, and exceptions thrown from every kind of
/// method, come out of a real client only as values in their grammar (docs/protocol.md), or not at all.
/// </summary>
public class TrackedValuesGrammarTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    internal const string ManifestJson = """
        {
          "product": "grammar", "name": "Grammar", "revision": 1, "consent": "opt-out", "machineHash": true,
          "disclosure": { "version": 1, "text": "grammar collects usage data." },
          "namespaces": ["Candor.Tests.Tracking"],
          "events": [
            { "name": "all", "description": "Every kind.", "purpose": "Test.", "level": "usage",
              "properties": [
                { "name": "e", "kind": "enum", "values": ["a", "b-c", "x64-linux"], "description": "." },
                { "name": "b", "kind": "bool", "description": "." },
                { "name": "k", "kind": "bucket", "unit": "bytes", "boundaries": [1000, 100000], "description": "." },
                { "name": "h", "kind": "hash", "description": "." },
                { "name": "v", "kind": "version", "description": "." },
                { "name": "n", "kind": "nameOrHash", "allow": ["zlib", "OpenSSL"], "description": "." },
                { "name": "s", "kind": "stack", "description": "." },
                { "name": "le", "kind": "list", "maxItems": 3, "description": ".", "item": { "kind": "enum", "values": ["a", "b-c"], "description": "." } },
                { "name": "lk", "kind": "list", "maxItems": 3, "description": ".", "item": { "kind": "bucket", "unit": "bytes", "boundaries": [10], "description": "." } },
                { "name": "lh", "kind": "list", "maxItems": 3, "description": ".", "item": { "kind": "hash", "description": "." } },
                { "name": "lv", "kind": "list", "maxItems": 3, "description": ".", "item": { "kind": "version", "description": "." } },
                { "name": "ln", "kind": "list", "maxItems": 3, "description": ".", "item": { "kind": "nameOrHash", "allow": ["zlib"], "description": "." } }
              ],
              "measurements": [
                { "name": "d", "kind": "duration", "description": "." },
                { "name": "m", "kind": "number", "unit": "count", "minimum": -5, "maximum": 100, "description": "." }
              ] }
          ]
        }
        """;

    [Fact]
    public void Track_AnyTextInEveryKind_SendsOnlyValuesInTheirGrammar()
    {
        var manifest = TelemetryManifest.Parse(ManifestJson);
        var text = HostileText.Any;
        var values = Gen.Select(text, text, text, text, text.Array[0, 6], Gen.Double, Gen.Double, Gen.Int[0, Throwers.Count - 1]);
        Gen.Select(HostileText.Any, values.Array[1, 8]).Sample((version, events) =>
        {
            var sink = new InMemorySink();
            var options = new CandorOptions { ProductVersion = version };
            options.OwnAssemblies.Add(typeof(TrackedValuesGrammarTests).Assembly);
            using (var client = CandorClient.CreateForTesting(manifest, sink, options: options))
            {
                foreach (var (t1, t2, t3, t4, items, n1, n2, thrower) in events)
                {
                    client.Event("all")
                        .With("e", t1).With("k", n1).With("h", t2).With("v", t3).With("n", t4).With("b", n1 > 0)
                        .With("s", Throwers.Capture(thrower, t1))
                        .With("le", items).With("lk", items).With("lh", items).With("lv", items).With("ln", items)
                        .With("d", n2).With("m", n1)
                        .Track();
                }

                Assert.True(client.Flush(Wait));
            }

            Assert.Equal(events.Length, sink.Events.Count);
            Assert.All(sink.Events, recorded => AssertInGrammar(manifest, recorded));
        }, iter: 200);
    }

    [Fact]
    public void Track_ExceptionsFromEveryKindOfMethod_GiveSignaturesWithTheirOwnFrames()
    {
        for (var i = 0; i < Throwers.Count; i++)
        {
            var signature = Candor.Privacy.StackSignature.From(Throwers.Capture(i, "/home/alice\0\u001b"), a => a == typeof(TrackedValuesGrammarTests).Assembly, ["Candor.Tests.Tracking"]);
            Assert.True(GrammarOracle.IsStack(signature), $"thrower {i}: '{signature}'");
            Assert.Contains(" at Candor.Tests.Tracking.Throwers.", signature, StringComparison.Ordinal);
            Assert.DoesNotContain("alice", signature, StringComparison.Ordinal);
        }
    }

    internal static void AssertInGrammar(TelemetryManifest manifest, RecordedEvent recorded)
    {
        var e = recorded.Event;
        Assert.Null(GrammarOracle.ContextProblem(e.Context));
        Assert.True(e.Verifier is null || (e.Verifier.Length == 64 && e.Verifier.All(char.IsAsciiHexDigitLower)));
        var definition = manifest.Find(e.Name)!;
        foreach (var (name, value) in e.Properties ?? [])
        {
            var field = definition.Find(name)!;
            switch (field.Kind)
            {
                case FieldKind.Bool:
                    Assert.True(value.ValueKind is JsonValueKind.True or JsonValueKind.False);
                    break;
                case FieldKind.List:
                    Assert.Equal(JsonValueKind.Array, value.ValueKind);
                    Assert.InRange(value.GetArrayLength(), 0, field.MaxItems);
                    foreach (var item in value.EnumerateArray())
                    {
                        AssertText(field.Item!, item);
                    }

                    break;
                default:
                    AssertText(field, value);
                    break;
            }
        }

        foreach (var (name, value) in e.Measurements ?? [])
        {
            var field = definition.Find(name)!;
            Assert.True(double.IsFinite(value));
            Assert.InRange(value, field.Kind is FieldKind.Duration ? 0 : field.Minimum!.Value, field.Kind is FieldKind.Duration ? 31d * 24 * 3600 * 1000 : field.Maximum!.Value);
        }
    }

    private static void AssertText(FieldDefinition field, JsonElement value)
    {
        Assert.Equal(JsonValueKind.String, value.ValueKind);
        var text = value.GetString()!;
        var fits = field.Kind switch
        {
            FieldKind.Enum => field.Values.Contains(text),
            FieldKind.Bucket => field.BucketLabels.Contains(text),
            FieldKind.Hash => GrammarOracle.IsHash(text),
            FieldKind.NameOrHash => field.Allow.Contains(text) || GrammarOracle.IsHash(text),
            FieldKind.Version => GrammarOracle.IsVersion(text),
            FieldKind.Stack => GrammarOracle.IsStack(text),
            _ => false,
        };
        Assert.True(fits, $"{field.Kind} '{text}'");
        Assert.Null(PropertyGrammar.CheckText(field, text));
    }
}

/// <summary>Exceptions thrown from each kind of method the C# compiler makes: what real stacks hold.</summary>
internal static class Throwers
{
    private static readonly Action<string>[] All =
    [
        message => throw new InvalidOperationException(message),
        message => Plain(message),
        message => Wrapped(message),
        message => new Generic<int>.Nested<string>().Throw(message),
        message => _ = new Constructed(message),
        message => Local(message),
        message => Lambda(message),
        message => Async(message).GetAwaiter().GetResult(),
        message => _ = Iterator(message).ToList(),
        message => throw new Generic<int>.Failure<string>(message),
        message => Deep(8, message),
    ];

    public static int Count => All.Length;

    public static Exception Capture(int index, string message)
    {
        try
        {
            All[index](message);
        }
        catch (Exception ex)
        {
            return ex;
        }

        throw new InvalidOperationException("expected an exception");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Plain(string message) => throw new FileNotFoundException(message, message);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Wrapped(string message)
    {
        try
        {
            Deep(3, message);
        }
        catch (Exception ex)
        {
            throw new AggregateException(message, new InvalidOperationException(message, ex));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Local(string message)
    {
        Inner();

        [MethodImpl(MethodImplOptions.NoInlining)]
        void Inner() => throw new ArgumentException(message);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Lambda(string message)
    {
        Func<int> f = () => throw new FormatException(message);
        f();
    }

    private static async Task Async(string message)
    {
        await Task.Yield();
        throw new TimeoutException(message);
    }

    private static IEnumerable<int> Iterator(string message)
    {
        yield return 1;
        throw new IOException(message);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Deep(int depth, string message)
    {
        if (depth == 0)
        {
            throw new UnauthorizedAccessException(message);
        }

        Deep(depth - 1, message);
    }

    private sealed class Constructed
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public Constructed(string message) => throw new NotSupportedException(message);
    }

    private sealed class Generic<T>
    {
        public sealed class Nested<U>
        {
            [MethodImpl(MethodImplOptions.NoInlining)]
            public void Throw<V>(V message) => throw new ArgumentOutOfRangeException(message?.ToString());

            [MethodImpl(MethodImplOptions.NoInlining)]
            public void Throw(string message) => Throw<string>(message);
        }

        public sealed class Failure<U>(string message) : Exception(message);
    }
}
