namespace Candor.Collector.Operations;

/// <summary>
/// What the collector tells the person who started it, once it listens: where, where its data is, and how to get
/// an admin token. Written to standard output rather than the log, because a first-start admin token must not
/// end up in a log pipeline.
/// </summary>
internal sealed class CollectorConsole(TextWriter output)
{
    public string? AdminToken { get; set; }

    public void Announce(IEnumerable<string> addresses, string databasePath)
    {
        output.WriteLine($"Candor collector listening on {string.Join(", ", addresses)}");
        output.WriteLine($"Data: {databasePath}");
        if (AdminToken is not null)
        {
            output.WriteLine(AdminToken);
        }

        output.Flush();
    }
}
