using Candor.Collector.Operations;

namespace Candor.Collector.Tests.Operations;

public class CollectorConsoleTests
{
    [Fact]
    public async Task Start_PrintsWhereAndTheTokenAsOneFramedBlock_ApartFromTheLogLines()
    {
        await using var collector = await TestCollector.StartAsync();

        var lines = collector.Console.ToString().ReplaceLineEndings("\n").Split('\n');

        Assert.Equal(9, lines.Length);
        Assert.Equal(["", CollectorConsole.Rule], lines[..2]);
        Assert.StartsWith($"Candor collector listening on {collector.BaseAddress.ToString().TrimEnd('/')}", lines[2], StringComparison.Ordinal);
        Assert.Equal($"Data: {Path.Combine(collector.DataPath, "candor.db")}", lines[3]);
        Assert.Equal("Admin token: the one set in configuration (Access:AdminToken).", lines[4]);
        Assert.Equal(["Stop it with Ctrl+C.", CollectorConsole.Rule, "", ""], lines[5..]);
    }
}
