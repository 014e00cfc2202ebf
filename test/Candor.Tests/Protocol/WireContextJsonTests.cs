using System.Text;
using System.Text.Json;
using Candor.Protocol;
using CsCheck;
using Candor.Tests.Support;

namespace Candor.Tests.Protocol;

public sealed class WireContextJsonTests
{
    // WireContext is internal to the SDK, so the theories take the index of their context.
    private static readonly WireContext[] Contexts =
    [
        new WireContext { Version = "1.2.3", Os = "linux", OsVersion = "debian 12", Arch = "x64", Runtime = "8.0.11", Interactive = true },
        new WireContext { Version = "2.0.0-beta+meta", Os = "windows", OsVersion = "10.0.22631", Arch = "arm64", Runtime = "10.0.0", Ci = "github-actions", Container = true, Wsl = true, Host = "ci" },
        new WireContext { Version = "<&'\"é>", Os = "other", OsVersion = "", Arch = "", Runtime = "", Host = "notebook" },
    ];

    public static TheoryData<int> ContextIndexes()
    {
        var indexes = new TheoryData<int>();
        for (var i = 0; i < Contexts.Length; i++)
        {
            indexes.Add(i);
        }

        return indexes;
    }

    [Theory]
    [MemberData(nameof(ContextIndexes))]
    public void Write_IsByteForByteWhatTheProtocolContextWrites(int index)
    {
        var context = Contexts[index];
        Assert.Equal(
            Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(context, ProtocolJsonContext.Default.Options.AsCandorWrites())),
            Encoding.UTF8.GetString(WireContextJson.Write(context)));
    }

    [Fact]
    public void Write_OfAnyText_IsByteForByteWhatTheProtocolContextWrites_OrRefusedAsItRefuses()
    {
        var optional = Gen.Frequency((3, HostileText.Any.Select(t => (string?)t)), (1, Gen.Const((string?)null)));
        Gen.Select(HostileText.Any.Array[5, 5], optional.Array[2, 2], Gen.Bool.Array[3, 3]).Sample((values, optionals, flags) =>
        {
            var context = new WireContext
            {
                Version = values[0], Os = values[1], OsVersion = values[2], Arch = values[3], Runtime = values[4],
                Ci = optionals[0], Host = optionals[1], Container = flags[0], Wsl = flags[1], Interactive = flags[2],
            };
            string expected;
            try
            {
                expected = Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(context, ProtocolJsonContext.Default.Options.AsCandorWrites()));
            }
            catch (ArgumentException)
            {
                Assert.Throws<ArgumentException>(() => WireContextJson.Write(context));
                return;
            }

            Assert.Equal(expected, Encoding.UTF8.GetString(WireContextJson.Write(context)));
        });
    }

    [Theory]
    [MemberData(nameof(ContextIndexes))]
    public void Write_IsReadBackByTheProtocolContext(int index)
    {
        var context = Contexts[index];
        var read = JsonSerializer.Deserialize(WireContextJson.Write(context), ProtocolJsonContext.Default.WireContext);

        Assert.NotNull(read);
        Assert.Equal(context.Version, read.Version);
        Assert.Equal(context.Ci, read.Ci);
        Assert.Equal(context.Container, read.Container);
        Assert.Equal(context.Host, read.Host);
    }
}
