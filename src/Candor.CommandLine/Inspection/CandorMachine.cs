using Candor.Catalog;
using Candor.Consent;
using Candor.Context;
using Candor.Delivery;
using Candor.Identity;
using Candor.Json;
using Candor.Manifest;
using Candor.Platform;
using Candor.Storage;

namespace Candor.CommandLine.Inspection;

/// <summary>
/// What a user can see and change about Candor on this machine, for one product or all of them: the
/// implementation behind a tool's <c>telemetry</c> commands and the <c>candor</c> tool alike, so both always
/// say the same thing. Reads never write: asking for a status creates no ID and shows no notice.
/// </summary>
internal sealed class CandorMachine
{
    private readonly string _policyPath;

    public CandorMachine(IEnvironment environment, IFileSystem files, TimeProvider? time = null, string? policyPath = null)
    {
        Environment = environment;
        Files = files;
        Time = time ?? TimeProvider.System;
        _policyPath = policyPath ?? MachinePolicy.DefaultPath();
        (Home, HomeProblem) = HomeLocator.Find(environment);
    }

    /// <summary>This process's environment and home, the physical disk and the system clock.</summary>
    public static CandorMachine ForProcess() => new(ProcessEnvironment.Instance, PhysicalFileSystem.Instance);

    public IEnvironment Environment { get; }

    public IFileSystem Files { get; }

    public TimeProvider Time { get; }

    /// <summary>The Candor home, or null (see <see cref="HomeProblem"/>).</summary>
    public CandorHome? Home { get; }

    /// <summary>Why there is no usable home, or null.</summary>
    public string? HomeProblem { get; }

    public CandorSettings Settings => new(Home, Files, Time);

    public SettingsSnapshot ReadSettings() => Home is null ? SettingsSnapshot.Empty : new SettingsStore(Home, Files, Time).Read();

    public MachinePolicy ReadPolicy() => MachinePolicy.Read(Files, _policyPath);

    /// <summary>Every product this machine knows: seen by a run, given a choice, or recorded in the catalogue. Sorted.</summary>
    public IReadOnlyList<string> Products()
    {
        if (Home is null)
        {
            return [];
        }

        return [.. ReadSettings().Products.Union(Records().List(), StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>The product's recorded manifest and collector, or null when no run recorded it here.</summary>
    public ProductRecord? Record(string product) => Home is null ? null : Records().TryRead(product);

    /// <summary>
    /// The product's state: the level a run would have now and what decides it (only when the manifest is known,
    /// since the product's own variables and default are in it), the stored choices, the install ID and the counts
    /// of events waiting, sent and kept locally. Reads only.
    /// </summary>
    /// <param name="product">The product.</param>
    /// <param name="manifest">Its manifest, when known.</param>
    /// <param name="commandLineOptOut">The opt-out flag given to this run, or null.</param>
    /// <param name="canSend">
    /// Whether the product's build can send (has an ingestion key), as the tool itself knows it; null to take it from
    /// the build that ran last (its record: a build without a collector cannot), or to assume it can when none ran.
    /// </param>
    public ProductStatus Status(string product, TelemetryManifest? manifest, string? commandLineOptOut = null, bool? canSend = null)
    {
        var settings = ReadSettings();
        var identity = Home is null ? null : new IdentityStore(Home, Files, Time).TryRead(product);
        var ci = CiDetector.Detect(Environment);
        var record = Record(product);
        var sends = canSend ?? (record is null || record.Endpoint is not null);
        ConsentDecision? decision = null;
        var noticePending = false;
        if (manifest is not null)
        {
            decision = ConsentResolver.Resolve(new ConsentInputs
            {
                Manifest = manifest,
                Environment = Environment,
                Settings = settings,
                Policy = ReadPolicy(),
                ProgramDisabled = CandorTelemetry.IsDisabled(product),
                CommandLineOptOut = commandLineOptOut,
                CiVendor = ci,
                HomeProblem = HomeProblem,
                CanSend = () => sends,
            });

            // A build that cannot send shows no notice: it collects nothing.
            noticePending = decision.Level != TelemetryLevel.Off && sends && FirstRunDisclosure.MustShow(manifest, identity, ci);
        }

        return new ProductStatus(
            product,
            manifest?.Name ?? product,
            decision,
            record is null ? null : new CollectorInfo(record.Endpoint),
            Parse(settings.ProductLevel(product)),
            settings.Problem is null ? Parse(settings.MachineLevel) : TelemetryLevel.Off,
            identity,
            noticePending,
            Home?.ProductDirectory(product),
            Pending(product).Count,
            Sent(product).Count,
            Local(product).Count);
    }

    /// <summary>
    /// Events the collector acknowledged (the transparency log), oldest first; none when the log holds text that is
    /// not UTF-8 (<see cref="FileIssues"/> then names it).
    /// </summary>
    public IReadOnlyList<SentEvent> Sent(string product)
    {
        if (Home is null)
        {
            return [];
        }

        try
        {
            return new TransparencyLog(Home, product, Files, new DeliveryOptions()).Read();
        }
        catch (Exception ex) when (JsonProblems.IsMalformed(ex))
        {
            return [];
        }
    }

    /// <summary>Events recorded at the <c>local</c> level, never sent, oldest first; none when the log holds text that is not UTF-8.</summary>
    public IReadOnlyList<LoggedEvent> Local(string product)
    {
        if (Home is null)
        {
            return [];
        }

        var local = new List<LoggedEvent>();
        try
        {
            foreach (var document in new JsonLinesLog(Home.LocalLog(product), new DeliveryOptions().MaxSentLogBytes, Files, createsFolder: false).ReadObjects())
            {
                using (document)
                {
                    var root = document.RootElement;
                    if (root.TryGetProperty("recorded", out var at) && at.ValueKind == System.Text.Json.JsonValueKind.String && at.TryGetDateTimeOffset(out var recorded)
                        && root.TryGetProperty("event", out var json) && json.ValueKind == System.Text.Json.JsonValueKind.Object)
                    {
                        local.Add(new LoggedEvent(recorded, EventState.Local, json.GetRawText()));
                    }
                }
            }
        }
        catch (Exception ex) when (JsonProblems.IsMalformed(ex))
        {
            return [];
        }

        return local;
    }

    /// <summary>
    /// The files of the home that Candor set aside, or cannot use where they are: the machine's own (settings, locks),
    /// then those of <paramref name="products"/>. Reads only.
    /// </summary>
    public IReadOnlyList<FileIssue> FileIssues(IReadOnlyList<string> products) =>
        Home is null ? [] : HomeFileIssues.Find(Home, Files, Time, products);

    /// <summary>
    /// Why this machine cannot upload now for a reason of its own, not the collector's: the upload lock is not a
    /// file and cannot be set aside, or another process holds it. Null when the lock can be taken. Takes and releases
    /// the lock, creating its file.
    /// </summary>
    public string? UploadLockProblem()
    {
        if (Home is null)
        {
            return HomeProblem;
        }

        try
        {
            Files.CreatePrivateDirectory(Home.Root);
            using var held = Files.TryLock(Home.UploadLock);
            return held is null ? $"another process on this machine is uploading: it holds '{Home.UploadLock}'" : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"a problem with this machine's files, not with the collector: {ex.Message}";
        }
    }

    /// <summary>Events spooled and not yet sent, oldest first, byte for byte as they will be sent.</summary>
    public IReadOnlyList<SpooledEvent> Pending(string product) =>
        Home is null ? [] : new Spool(Home, product, Files, Time, new DeliveryOptions(), new DeliveryCounters()).ListPending();

    /// <summary>Sent and local events together, oldest first, from <paramref name="since"/> on when given.</summary>
    public IReadOnlyList<LoggedEvent> Events(string product, DateTimeOffset? since = null) =>
        [.. Sent(product).Select(s => new LoggedEvent(s.Acknowledged, EventState.Sent, s.Json))
            .Concat(Local(product))
            .Where(e => since is null || e.At >= since)
            .OrderBy(e => e.At)];

    /// <summary>Gives the product a new install ID; null when it has none. Throws <see cref="IOException"/> when the home cannot be written.</summary>
    public InstallIdentity? ResetId(string product)
    {
        if (Home is null)
        {
            return null;
        }

        try
        {
            return new IdentityStore(Home, Files, Time).Reset(product);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new IOException($"'{Home.ProductDirectory(product)}' cannot be written: {ex.Message}", ex);
        }
    }

    private ProductRecordStore Records() => new(Home!, Files);

    private static TelemetryLevel? Parse(string? written) =>
        written is null ? null : TelemetryLevelText.TryParse(written, out var level) ? level : TelemetryLevel.Off;
}

/// <summary>One product's state, as <c>status</c> shows it.</summary>
/// <param name="Product">The product ID.</param>
/// <param name="Name">The display name (the ID when the manifest is unknown).</param>
/// <param name="Decision">The level a run would have now and why; null when the manifest is unknown here.</param>
/// <param name="Collector">Where the build that ran last sends, or null when no run recorded it.</param>
/// <param name="Choice">The user's choice for the product, or null.</param>
/// <param name="MachineChoice">The user's machine-wide choice, or null.</param>
/// <param name="Identity">The install identity, or null when there is none.</param>
/// <param name="NoticePending">Telemetry is on but the notice was not shown yet: the next run shows it and sends nothing.</param>
/// <param name="Directory">Where the product's files live, or null without a home.</param>
/// <param name="Pending">Events waiting to be sent.</param>
/// <param name="Sent">Events in the transparency log.</param>
/// <param name="Local">Events recorded at the local level.</param>
internal sealed record ProductStatus(
    string Product,
    string Name,
    ConsentDecision? Decision,
    CollectorInfo? Collector,
    TelemetryLevel? Choice,
    TelemetryLevel? MachineChoice,
    InstallIdentity? Identity,
    bool NoticePending,
    string? Directory,
    int Pending,
    int Sent,
    int Local);

/// <summary>The collector of the build that ran last.</summary>
/// <param name="Endpoint">Its address, or null for a build without one (a source build), which never sends.</param>
internal sealed record CollectorInfo(string? Endpoint);

/// <summary>Where a logged event is: acknowledged by the collector, or kept on this machine only.</summary>
internal enum EventState
{
    Sent,
    Local,
}

/// <summary>An event from the transparency log or the local log.</summary>
internal sealed record LoggedEvent(DateTimeOffset At, EventState State, string Json);
