namespace Candor.Collector.Storage;

/// <summary>Where and how the collector keeps its data (configuration section <c>Storage</c>).</summary>
internal sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>The provider that keeps everything in one SQLite file in <see cref="DataPath"/> (the default).</summary>
    public const string Sqlite = "sqlite";

    /// <summary>The provider that keeps everything in a PostgreSQL database that several collectors may share.</summary>
    public const string Postgres = "postgres";

    /// <summary>Which store to use: <see cref="Sqlite"/> or <see cref="Postgres"/> (any casing).</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>The Npgsql connection string of the PostgreSQL database; required with <see cref="Postgres"/>, unused otherwise.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// With <see cref="Postgres"/>, optionally the Npgsql connection string of a streaming read replica of that
    /// database: the queries over the rollups and the raw reads for export (the query API and the dashboard) go
    /// there, everything else to <see cref="ConnectionString"/>. A replica that lags answers as the database was
    /// when it last replayed; nothing is written to it.
    /// </summary>
    public string? ReadConnectionString { get; set; }

    /// <summary>The data folder; the SQLite file is <c>candor.db</c> inside it. Relative paths start at the working directory.</summary>
    public string DataPath { get; set; } = "data";

    /// <summary>
    /// Whether each commit is flushed to the disk (SQLite <c>synchronous=FULL</c>). With <see langword="false"/>
    /// (<c>NORMAL</c>) an acknowledged event still survives a crash of the process, but not of the machine.
    /// </summary>
    public bool FlushEachCommit { get; set; } = true;

    /// <summary>The most events one transaction commits; requests that arrive together share a transaction up to this.</summary>
    public int MaxEventsPerTransaction { get; set; } = 5000;

    /// <summary>
    /// How many acknowledged events the SQLite store keeps in its staging tables before it folds them into the
    /// events and rollups in one transaction. Larger folds write each page of those trees fewer times per event;
    /// requests that arrive during a fold wait for it. Queries and deletions fold first, so they always see every
    /// acknowledged event.
    /// </summary>
    public int EventsPerFold { get; set; } = 10_000;

    /// <summary>
    /// Whether the PostgreSQL store, once started, builds the newest two days of every product in the background
    /// (the parts a dashboard's first page would otherwise build from their rows) and runs a query over them, so
    /// that the first page after a start neither reads those rows nor waits for its code to be compiled. Start and
    /// ingestion do not wait for it.
    /// </summary>
    public bool WarmNewestDays { get; set; } = true;

    /// <summary>
    /// The most events ingestion holds at once between reading a batch and its commit (the writer's backlog and the
    /// batches being checked); a batch that would go over it gets 503 with Retry-After. A hard cap on that memory.
    /// </summary>
    public int MaxBacklog { get; set; } = 50_000;

    /// <summary>
    /// The longest a batch may be expected to wait for the writer (<see cref="IEventLog.EstimatedWait"/>); while
    /// the estimate is longer, ingestion answers 503 with Retry-After at once instead of letting the request wait.
    /// Well under the SDK's request timeout (10 s), so a client is told when to come back before it gives up.
    /// </summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether <see cref="Provider"/> names PostgreSQL.</summary>
    public bool UsesPostgres => string.Equals(Provider, Postgres, StringComparison.OrdinalIgnoreCase);

    /// <summary>The full path of the data folder.</summary>
    public string FullDataPath => Path.GetFullPath(DataPath);

    /// <summary>The full path of the SQLite file.</summary>
    public string DatabasePath => Path.Combine(FullDataPath, "candor.db");

    /// <summary>Where the data is, for people: the SQLite file, or the PostgreSQL database and server (never the credentials).</summary>
    public string Location
    {
        get
        {
            if (!UsesPostgres)
            {
                return DatabasePath;
            }

            var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
            return $"PostgreSQL database '{builder.Database ?? builder.Username}' on {builder.Host}:{builder.Port}"
                + (string.IsNullOrEmpty(builder.SearchPath) ? "" : $", schema {builder.SearchPath}");
        }
    }
}
