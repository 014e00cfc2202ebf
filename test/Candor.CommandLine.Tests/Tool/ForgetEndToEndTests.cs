using System.Text.Json;
using Candor.CommandLine.Tests.Support;

namespace Candor.CommandLine.Tests.Tool;

/// <summary>
/// The whole way: the real collector, the pack sample's official build uploading to it, <c>candor events</c>
/// listing what arrived, and <c>candor forget</c> having the collector delete it, all as separate processes.
/// </summary>
public sealed class ForgetEndToEndTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Forget_DeletesEverySentEventAtTheCollector_IncludingThoseOfAnEarlierInstallId()
    {
        await using var collector = await CollectorProcess.StartAsync(Path.Combine(_home.Root, "collector"));
        var key = await collector.RegisterAsync(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "pack.manifest.json")), "pack");
        var environment = new Dictionary<string, string>
        {
            [OfficialPack.EndpointVariable] = collector.Endpoint.ToString(),
            [OfficialPack.KeyVariable] = key,
        };
        await Programs.OfficialPackAsync(_home, environment, "list");
        await Programs.OfficialPackAsync(_home, environment, "install", "zlib");
        await Programs.WaitUntilSentAsync(_home, "pack");
        await Programs.PackAsync(_home, "telemetry", "reset-id");
        await Programs.OfficialPackAsync(_home, environment, "list");
        await Programs.WaitUntilSentAsync(_home, "pack");

        var events = JsonDocument.Parse((await Programs.CandorAsync(_home, "events", "--json")).Output).RootElement;
        var forget = await Programs.CandorAsync(_home, "forget", "--product", "pack", "--json");
        var again = await Programs.CandorAsync(_home, "events");

        Assert.Equal(["install", "command", "command"], events.EnumerateArray().Select(e => e.GetProperty("event").GetProperty("name").GetString()));
        Assert.All(events.EnumerateArray(), e => Assert.Equal("sent", e.GetProperty("state").GetString()));
        Assert.Equal(0, forget.ExitCode);
        var outcome = Assert.Single(JsonDocument.Parse(forget.Output).RootElement.EnumerateArray());
        Assert.True(outcome.GetProperty("erased").GetBoolean());
        Assert.Equal(JsonValueKind.Null, outcome.GetProperty("problem").ValueKind);
        var installs = outcome.GetProperty("installs").EnumerateArray().ToList();
        Assert.Equal(2, installs.Count);
        Assert.Equal(3, installs.Sum(i => i.GetProperty("deleted").GetInt64()));
        Assert.False(Directory.Exists(_home.Home.ProductDirectory("pack")));
        Assert.Equal("No event was sent from this machine.\n", again.Output);

        // Asking again finds nothing left to delete on this machine.
        var twice = await Programs.CandorAsync(_home, "forget", "--product", "pack");
        Assert.Equal("pack: nothing to forget (no install ID on this machine).\n", twice.Output);
    }
}
