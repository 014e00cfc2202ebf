namespace Candor.Collector.Storage;

/// <summary>
/// Everything the collector keeps: the catalogue (products, manifest revisions, hashed credentials, the audit log),
/// raw events, the daily rollups derived from them, and the queries the query API runs over the rollups.
/// <see cref="Sqlite.SqliteEventStore"/> and <see cref="Postgres.PostgresEventStore"/> implement it; <c>EventStoreContract</c> in the tests holds both to the
/// same behaviour. Implementations are thread-safe. No method ever receives or stores a client address.
/// </summary>
internal interface IEventStore : IAsyncDisposable
{
    /// <summary>Events handed to <see cref="AppendAsync"/> and not yet committed (the store's backlog).</summary>
    int Backlog { get; }

    /// <summary>
    /// How long events handed to <see cref="AppendAsync"/> now would wait until they are committed, from the backlog
    /// and the writer's measured pace (see <see cref="WriterPace"/>). Ingestion refuses requests at once while it is
    /// longer than <see cref="StorageOptions.MaxWait"/>.
    /// </summary>
    TimeSpan EstimatedWait { get; }

    /// <summary>Creates or upgrades the schema and starts the writer. Call once before anything else.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Creates the product, or updates its retention and k threshold when it exists.</summary>
    Task<ProductRecord> SaveProductAsync(ProductRecord product, CancellationToken cancellationToken);

    /// <summary>
    /// The collector's secret of that name: 32 random bytes made by whichever collector asks first and kept in the
    /// store, so that every collector sharing the store gets the same bytes. The noise of published figures is keyed
    /// with one (<c>FigureNoise</c>); no endpoint ever shows it.
    /// </summary>
    Task<byte[]> GetSecretAsync(string name, CancellationToken cancellationToken);

    /// <summary>Every registered product.</summary>
    Task<IReadOnlyList<ProductRecord>> GetProductsAsync(CancellationToken cancellationToken);

    /// <summary>Keeps one revision of a product's manifest. Returns <see langword="false"/> when that revision was already kept (nothing changes).</summary>
    Task<bool> AddManifestAsync(ManifestRecord manifest, CancellationToken cancellationToken);

    /// <summary>Every kept manifest revision of every product.</summary>
    Task<IReadOnlyList<ManifestRecord>> GetManifestsAsync(CancellationToken cancellationToken);

    /// <summary>Stores a credential (only its hash) and returns its ID.</summary>
    Task<long> AddCredentialAsync(CredentialRecord credential, CancellationToken cancellationToken);

    /// <summary>Every credential that has not been revoked.</summary>
    Task<IReadOnlyList<CredentialRecord>> GetCredentialsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// When the credential whose secret hashes to <paramref name="hash"/> was revoked; <see langword="null"/> when
    /// none has that hash or it is live. A revoked hash stays in the store, so the same secret is never stored twice.
    /// </summary>
    Task<DateTimeOffset?> FindRevocationAsync(byte[] hash, CancellationToken cancellationToken);

    /// <summary>Revokes a credential; <see langword="false"/> when no live credential has that ID.</summary>
    Task<bool> RevokeCredentialAsync(long id, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Appends one entry to the audit log.</summary>
    Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>The newest audit entries first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> GetAuditAsync(int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Stores validated events and updates the rollups. Completes only after the events are durably committed;
    /// an event whose ID is already stored (a retry) is reported as a duplicate and not stored again.
    /// The outcomes are in the order of <paramref name="events"/>.
    /// </summary>
    Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<IncomingEvent> events, CancellationToken cancellationToken);

    /// <summary>
    /// The deletion verifier kept for one install (32 bytes: the first one its events carried), or null when the install
    /// is not stored or was stored without one. Kept until the install is deleted or its last event expires.
    /// </summary>
    Task<byte[]?> GetInstallVerifierAsync(string product, Guid install, CancellationToken cancellationToken);

    /// <summary>Deletes every raw event of one install, its verifier, and the rollup rows that name it; returns how many raw events were removed.</summary>
    Task<long> DeleteInstallAsync(string product, Guid install, CancellationToken cancellationToken);

    /// <summary>Deletes the product's raw events tracked before <paramref name="cutoff"/>; returns how many.</summary>
    Task<long> DeleteEventsBeforeAsync(string product, DateTimeOffset cutoff, CancellationToken cancellationToken);

    /// <summary>Deletes the product's rollup rows for days before <paramref name="cutoff"/>; returns how many rows.</summary>
    Task<long> DeleteRollupsBeforeAsync(string product, DateOnly cutoff, CancellationToken cancellationToken);

    /// <summary>
    /// Removes from the store's files the bytes that deletions made at least <paramref name="age"/> ago left behind,
    /// where deleting a row does not remove them at once; returns whether there was such work and it was done.
    /// </summary>
    Task<bool> CompactErasedAsync(TimeSpan age, CancellationToken cancellationToken);

    /// <summary>
    /// Builds and keeps whatever the store's queries read instead of the rollup rows, for the product's days from
    /// <paramref name="from"/> to <paramref name="to"/> that lack it, so that the first query over them is as fast
    /// as the later ones; returns how many event names and days it built. A store whose queries need nothing
    /// prepared returns 0. Queries are right without it; it only moves work ahead of them.
    /// </summary>
    Task<long> PrepareDayRollupsAsync(string product, DateOnly from, DateOnly to, CancellationToken cancellationToken);

    /// <summary>How many raw events the product has.</summary>
    Task<long> CountRawEventsAsync(string product, CancellationToken cancellationToken);

    /// <summary>Raw events in time order, for export; the caller audits the read.</summary>
    Task<IReadOnlyList<RawEvent>> ReadRawAsync(EventFilter filter, int limit, CancellationToken cancellationToken);

    /// <summary>Events and distinct installs per period, from the rollups.</summary>
    Task<IReadOnlyList<PeriodCount>> CountEventsAsync(EventFilter filter, Interval interval, CancellationToken cancellationToken);

    /// <summary>Events and distinct installs per value of one declared property, from the rollups.</summary>
    Task<IReadOnlyList<GroupCount>> CountByPropertyAsync(EventFilter filter, string property, CancellationToken cancellationToken);

    /// <summary>Events and distinct installs per value of one context dimension, from the rollups.</summary>
    Task<IReadOnlyList<GroupCount>> CountByContextAsync(EventFilter filter, ContextDimension dimension, CancellationToken cancellationToken);

    /// <summary>The duration histogram of one measurement per period (see <see cref="DurationHistogram"/>).</summary>
    Task<IReadOnlyList<HistogramCount>> GetDurationHistogramAsync(EventFilter filter, string measurement, Interval interval, CancellationToken cancellationToken);

    /// <summary>
    /// Answers several rollup queries at once, each exactly as its kind's single method would (same rows, same
    /// order), in the order asked. A page of the dashboard asks a few dozen queries that read the same day rollups;
    /// a store may read each day rollup once for all of them.
    /// </summary>
    Task<IReadOnlyList<RollupAnswer>> CountAsync(IReadOnlyList<RollupQuery> queries, CancellationToken cancellationToken);
}
