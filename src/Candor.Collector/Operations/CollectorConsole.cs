using System.Text;

namespace Candor.Collector.Operations;

/// <summary>
/// What the collector tells the person who started it, once it listens: where, where its data is, and how to get
/// an admin token. Written to standard output rather than the log, because a first-start admin token must not
/// end up in a log pipeline. The lines are framed by rules and blank lines and written in one piece, so that they
/// stand apart from ASP.NET Core's log lines, which no log line can split.
/// </summary>
internal sealed class CollectorConsole(TextWriter output)
{
    /// <summary>The rule above and below the start-up lines.</summary>
    public const string Rule = "========================================================================";

    public string? AdminToken { get; set; }

    public void Announce(IEnumerable<string> addresses, string databasePath)
    {
        var block = new StringBuilder()
            .AppendLine()
            .AppendLine(Rule)
            .AppendLine("Candor collector listening on " + string.Join(", ", addresses))
            .AppendLine("Data: " + databasePath);
        if (AdminToken is not null)
        {
            block.AppendLine(AdminToken);
        }

        block.AppendLine("Stop it with Ctrl+C.")
            .AppendLine(Rule)
            .AppendLine();
        output.Write(block.ToString());
        output.Flush();
    }
}
