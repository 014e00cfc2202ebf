using System.Text;
using System.Text.Json;
using Candor.Protocol;
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
