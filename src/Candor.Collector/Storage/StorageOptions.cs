namespace Candor.Collector.Storage;

/// <summary>Where and how the collector keeps its data (configuration section <c>Storage</c>).</summary>
internal sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>The data folder; the SQLite file is <c>candor.db</c> inside it. Relative paths start at the working directory.</summary>
    public string DataPath { get; set; } = "data";

    /// <summary>
    /// Whether each commit is flushed to the disk (SQLite <c>synchronous=FULL</c>). With <see langword="false"/>
    /// (<c>NORMAL</c>) an acknowledged event still survives a crash of the process, but not of the machine.
    /// </summary>
    public bool FlushEachCommit { get; set; } = true;

    /// <summary>The most events one transaction commits; requests that arrive together share a transaction up to this.</summary>
    public int MaxEventsPerTransaction { get; set; } = 5000;

    /// <summary>Events waiting for the writer above which ingestion answers 503 with Retry-After instead of queueing more.</summary>
    public int MaxBacklog { get; set; } = 50_000;

    /// <summary>The full path of the data folder.</summary>
    public string FullDataPath => Path.GetFullPath(DataPath);

    /// <summary>The full path of the SQLite file.</summary>
    public string DatabasePath => Path.Combine(FullDataPath, "candor.db");
}
