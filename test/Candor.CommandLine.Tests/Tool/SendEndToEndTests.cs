using System.Text.Json;
using Candor.CommandLine.Tests.Support;

namespace Candor.CommandLine.Tests.Tool;

/// <summary>
/// <c>candor send</c> against the real collector: the pack sample's official build leaves its events spooled (as when
/// its detached uploader could not start), and the user sends them at once, as separate processes.
/// </summary>
public sealed class SendEndToEndTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Send_UploadsTheWaitingEventsNow_AndTheyAreListedAsSent()
    {
        await using var collector = await CollectorProcess.StartAsync(Path.Combine(_home.Root, "collector"));
        var key = await collector.RegisterAsync(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "pack.manifest.json")), "pack");
        var environment = new Dictionary<string, string>
        {
            [OfficialPack.EndpointVariable] = collector.Endpoint.ToString(),
            [OfficialPack.KeyVariable] = key,
            [OfficialPack.DetachedVariable] = "off",
        };
        await Programs.OfficialPackAsync(_home, environment, "list");
        await Programs.OfficialPackAsync(_home, environment, "install", "zlib");

        var waiting = JsonDocument.Parse((await Programs.CandorAsync(_home, "pending", "--json")).Output).RootElement;
        var send = await Programs.CandorAsync(_home, "send");
        var events = JsonDocument.Parse((await Programs.CandorAsync(_home, "events", "--json")).Output).RootElement;
        var again = await Programs.CandorAsync(_home, "send", "--json");

        Assert.Equal(2, waiting.GetArrayLength());
        Assert.Equal(0, send.ExitCode);
        Assert.Equal($"pack: sent 2 event(s) to {collector.Endpoint}.\n", send.Output);
        Assert.Equal(2, events.EnumerateArray().Count(e => e.GetProperty("state").GetString() == "sent"));
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(again.Output).RootElement.ValueKind);
        Assert.Equal(0, JsonDocument.Parse(again.Output).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Send_CollectorDown_SaysSoFailsAndKeepsEveryEvent()
    {
        using var closed = new ClosedPort();
        await Programs.OfficialPackAsync(_home, closed.Environment(), "list");
        await Programs.OfficialPackAsync(_home, closed.Environment(), "list");

        var send = await Programs.CandorAsync(_home, "send", "--product", "pack");
        var pending = JsonDocument.Parse((await Programs.CandorAsync(_home, "pending", "--json")).Output).RootElement;

        Assert.Equal(1, send.ExitCode);
        Assert.StartsWith("pack: sent 0 event(s); 1 still wait (", send.Output, StringComparison.Ordinal);
        Assert.Equal(1, pending.GetArrayLength());
    }

    [Fact]
    public async Task Send_WithTelemetryTurnedOffHere_SendsNothing()
    {
        using var closed = new ClosedPort();
        await Programs.OfficialPackAsync(_home, closed.Environment(), "list");
        await Programs.OfficialPackAsync(_home, closed.Environment(), "list");

        var send = await Programs.CandorAsync(_home, new Dictionary<string, string> { ["DO_NOT_TRACK"] = "1" }, "send");

        Assert.Equal(1, send.ExitCode);
        Assert.Equal("pack: telemetry is off here ('candor status' says why); nothing sent.\n", send.Output);
        Assert.Single(JsonDocument.Parse((await Programs.CandorAsync(_home, "pending", "--json")).Output).RootElement.EnumerateArray());
    }
}
