using System.Reflection;
using System.Runtime.CompilerServices;
using Candor.Catalog;
using Candor.Consent;
using Candor.Context;
using Candor.Delivery;
using Candor.Diagnostics;
using Candor.Identity;
using Candor.Manifest;
using Candor.Platform;
using Candor.Protocol;
using Candor.Sinks;
using Candor.Storage;
using Candor.Tracking;

namespace Candor;

/// <summary>
/// Everything a <see cref="CandorClient"/> decides when it is built, in the order that keeps Candor's promises
/// (README.md; docs/privacy-model.md): check the manifest and options (the only place Candor throws), resolve consent (an opt-out run
/// touches no file), and only for an on run choose the sinks: print, the local log, the spool and its uploader.
/// A build without an ingestion key has no uploader: a private build sends nothing. A tool's tests go the same way,
/// on an environment and files held in memory (<see cref="ForTesting"/>).
/// </summary>
internal sealed class ClientSetup
{
    // Where a tool's tests keep their in-memory home unless their environment names one; nothing is written there.
    private const string TestHome = "candor-test-home";

    private const string DebugVariable = "CANDOR_TELEMETRY_DEBUG";

    private readonly ConsentGate? _gate;
    private readonly ConsentOutcome? _outcome;
    private readonly TelemetryManifest? _manifest;
    private readonly Func<ClientSetup>? _resolveLater;
    private ClientSetup? _resolved;
    private readonly Func<EventStamp>? _stamp;
    private readonly bool _traceAtStart;
    private int _disclosurePending;
    private int _consentTraced;

    private ClientSetup(TelemetryManifest manifest, DeliveryOptions? delivery, DropCounters drops, ConsentGate gate, ConsentOutcome outcome, SinkSet? sinks, Func<EventStamp>? stamp, bool traceAtStart)
    {
        _traceAtStart = traceAtStart;
        _manifest = manifest;
        _delivery = delivery;
        Drops = drops;
        _gate = gate;
        _outcome = outcome;
        Sinks = sinks;
        _stamp = stamp;
        _disclosurePending = outcome.DisclosurePending ? 1 : 0;
    }

    // A run decided off at once (see OffAtOnce): nothing more is read, and what a caller asks of the manifest or the
    // decision is resolved then, as a full setup would have (an off run writes nothing either way).
    private ClientSetup(TelemetryManifest? manifest, Func<ClientSetup> resolveLater, DeliveryOptions? delivery, bool traceAtStart)
    {
        _traceAtStart = traceAtStart;
        _manifest = manifest;
        _resolveLater = resolveLater;
        _delivery = delivery;
        Drops = new DropCounters();
    }

    public TelemetryManifest Manifest => _manifest ?? Resolved.Manifest;

    // Two threads may both resolve; they resolve the same, and either result serves.
    private ClientSetup Resolved => _resolved ??= _resolveLater!();

    /// <summary>The checked delivery options (the exit budget among them); the defaults when the tool set none.</summary>
    public DeliveryOptions Delivery => _delivery ??= DeliveryOptions.CheckedDefaults();

    private DeliveryOptions? _delivery;

    public ConsentDecision Decision => _outcome?.Decision ?? Resolved.Decision;

    public bool DisclosurePending => Volatile.Read(ref _disclosurePending) == 1;

    /// <summary>Where written events go, built by the pipeline's writer; null when nothing may be recorded (the pipeline then does no work).</summary>
    public SinkSet? Sinks { get; }

    public DropCounters Drops { get; }

    /// <summary>The level the pipeline records at: the decision's, or off when no sink would receive anything.</summary>
    public TelemetryLevel RecordingLevel => Sinks is null ? TelemetryLevel.Off : Decision.Level;

    /// <summary>The stamp every event carries; called once, lazily, on the pipeline's writer.</summary>
    public EventStamp CreateStamp() => _stamp is { } stamp ? stamp() : throw new InvalidOperationException("a run that records nothing has no stamp");

    /// <summary>Shows a deferred disclosure once. Never throws.</summary>
    public bool ShowDisclosure()
    {
        if (Interlocked.Exchange(ref _disclosurePending, 0) == 0)
        {
            return false;
        }

        return _gate!.ShowDisclosure(Manifest, _outcome!);
    }

    /// <summary>Builds the setup for a real run: the process's environment, the disk, the real sinks.</summary>
    /// <exception cref="ManifestException">The manifest is missing or wrong.</exception>
    /// <exception cref="ArgumentException">The options are inconsistent.</exception>
    public static ClientSetup ForProcess(CandorOptions options) => ForProcess(options, ProcessEnvironment.Instance, PhysicalFileSystem.Instance);

    /// <summary>Builds the setup as for a real run, on <paramref name="environment"/> and <paramref name="files"/> (Candor's own tests watch what it reads).</summary>
    internal static ClientSetup ForProcess(CandorOptions options, IEnvironment environment, IFileSystem files) =>
        Resolve(options, environment, files, testSink: null, offAtOnce: true);

    /// <summary>
    /// Builds the setup for a tool's own tests, the way a real run is built, but on <paramref name="environment"/>'s
    /// variables (none of the process's) and a home held in memory, as a user's who has seen the product's disclosure.
    /// Events go to <paramref name="sink"/> only.
    /// </summary>
    /// <exception cref="ManifestException">The manifest is wrong.</exception>
    /// <exception cref="ArgumentException">The options are inconsistent.</exception>
    public static ClientSetup ForTesting(CandorOptions options, IEventSink sink, IReadOnlyDictionary<string, string> environment)
    {
        var variables = new Dictionary<string, string>(environment, StringComparer.Ordinal);
        variables.TryAdd(CandorHome.Variable, Path.Combine(Path.GetTempPath(), TestHome));
        var testEnvironment = new DictionaryEnvironment(variables);
        var files = new MemoryFileSystem(options.TimeProvider);
        if (options.Manifest is { } manifest && HomeLocator.Find(testEnvironment).Home is { } home)
        {
            // The disclosure counts as shown, as it is for every run of the tool but the user's first.
            new IdentityStore(home, files, options.TimeProvider).RecordDisclosure(manifest.Product, manifest.DisclosureVersion);
        }

        return Resolve(options, testEnvironment, files, sink, offAtOnce: false);
    }

    private static ClientSetup Resolve(CandorOptions options, IEnvironment environment, IFileSystem files, IEventSink? testSink, bool offAtOnce)
    {
        var delivery = options.DeliveryIfSet?.Validated();
        CandorHome? settingsHome = null;
        if (offAtOnce && OffAtOnce(options, environment, files, out settingsHome))
        {
            return DecidedOff(options, environment, files, delivery, manifest: null);
        }

        var assembly = options.Assembly;
        var manifest = options.Manifest
            ?? (assembly is not null ? TelemetryManifest.FromAssembly(assembly) : throw new ArgumentException("Set CandorOptions.Assembly (where the manifest is embedded) or CandorOptions.Manifest.", nameof(options)));

        // The build's facts (version, key, endpoint; see ToolBuild) are read only by a run that needs them. A key given
        // in the options is checked against the endpoint now, the only case that needs them early; a build that sets a
        // key without an endpoint fails to build (build/Candor.targets).
        if (!string.IsNullOrEmpty(options.IngestionKey) && options.Endpoint is null)
        {
            ToolBuild.Endpoint(options, manifest, options.IngestionKey);
        }

        var testing = testSink is not null;
        var printing = options.PrintEvents || EnvironmentFlag.IsSet(environment.Get(DebugVariable));

        // The product's own opt-out variables are off whatever else says too; they need only the manifest's head. So are
        // settings that turn every product off without their marker (written by hand), read now, after the variables,
        // which a run turned off by them does not read; the read serves the rest of the run. So is a private build that
        // neither prints nor, by the variables or the settings, keeps its events locally.
        SettingsSnapshot? settings = null;
        if (offAtOnce && (ConsentResolver.ProductOptOut(manifest, environment) is not null
            || SettingsReadTurnEveryProductOff(settingsHome, files, out settings)
            || PrivateBuildOff(options, environment, manifest, printing, settings)))
        {
            return DecidedOff(options, environment, files, delivery, manifest);
        }

        // Consent needs only the CI vendor (environment variables). The rest of the context (OS release, container
        // and notebook checks: a few file reads) is for the events, so it is detected with the stamp, on the
        // writer, by runs that record something.
        var ci = CiDetector.Detect(environment);

        var gate = new ConsentGate(environment, files, options.TimeProvider, disclosureOutput: options.DisclosureWriter);
        // A build without a key (a private build) sends nothing: it shows no disclosure, and unless the run prints its
        // events or the user keeps them locally it is off before an identity or a product record is made for it.
        var outcome = gate.Open(manifest, options.CommandLineOptOut, ci, options.DeferDisclosure, testing ? null : CanSend(options, manifest), printing, settings);

        // Runs that get this far (telemetry on, or the disclosure due) tell the candor tool what the product is.
        var records = outcome.Home is not null && (outcome.Identity is not null || outcome.DisclosurePending || outcome.Decision.Source == ConsentSource.FirstRunDisclosure);
        return !records && outcome.Identity is null
            ? new ClientSetup(manifest, delivery, new DropCounters(), gate, outcome, sinks: null, stamp: null, TraceAtStart(testing))
            : ForRecording(options, environment, files, testSink, printing, manifest, delivery, gate, outcome, records);
    }

    // Apart from Resolve: a precompiled method loads every type it names when it is first called, and what a run that
    // records needs (the sinks, delivery, the product record, the stamp and its lists) would otherwise be loaded by
    // every run that is off.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ClientSetup ForRecording(CandorOptions options, IEnvironment environment, IFileSystem files, IEventSink? testSink, bool printing, TelemetryManifest manifest, DeliveryOptions? delivery, ConsentGate gate, ConsentOutcome outcome, bool records)
    {
        delivery ??= DeliveryOptions.CheckedDefaults();
        var testing = testSink is not null;
        var version = ToolBuild.Version(options, manifest);
        var key = ToolBuild.Key(options, manifest);
        var endpoint = ToolBuild.Endpoint(options, manifest, key);

        // At most two sinks: print, and the tests' or the local log or the spool. What they are is decided now, and
        // what could be wrong with them (the key, the collector's address) is checked now, the only place Candor throws;
        // they are built, and the product recorded in the catalogue, by the pipeline's writer before its first event.
        var decision = outcome.Decision;
        var home = outcome.Home;
        var recording = decision.Level != TelemetryLevel.Off && outcome.Identity is not null;
        var local = recording && testSink is null && home is not null && decision.Level == TelemetryLevel.Local;
        var uploads = recording && testSink is null && home is not null && !local && !string.IsNullOrEmpty(key);
        var endpointChecked = ToolBuild.EndpointCheckedByBuild(options, manifest);
        if (uploads)
        {
            EventDelivery.CheckKey(key!);
            if (!endpointChecked)
            {
                DeliveryEndpoint.Check(endpoint!);
            }
        }

        var tested = recording && testSink is not null;
        var count = (recording && printing ? 1 : 0) + (tested || local || uploads ? 1 : 0);
        if (count == 0)
        {
            RecordProduct();
            return new ClientSetup(manifest, delivery, new DropCounters(), gate, outcome, sinks: null, stamp: null, TraceAtStart(testing));
        }

        var sinks = new SinkSet(count, () =>
        {
            RecordProduct();

            // An array, not a list, whose type and interfaces would be six more types for every recording run to load.
            var built = new IEventSink[count];
            var next = 0;
            if (recording && printing)
            {
                built[next++] = new PrintSink(options.PrintWriter ?? Console.Error);
            }

            if (tested)
            {
                built[next] = testSink!;
            }
            else if (local)
            {
                built[next] = new LocalLogSink(home!, manifest.Product, files, delivery, options.TimeProvider);
            }
            else if (uploads)
            {
                var events = new EventDelivery(home!, manifest.Product, endpoint!, key!, delivery, files, options.TimeProvider, endpointChecked: true);
                built[next] = new SpoolSink(events, delivery, options.TimeProvider);
            }

            return built;
        });

        void RecordProduct()
        {
            if (records)
            {
                new ProductRecordStore(home!, files).Record(manifest, version, endpoint, key);
            }
        }

        // Only a run that records something with a keyed hash needs the install's hash key, and only a run that
        // uploads needs the deletion verifier. The identity file keeps both (derived once, when the identity is made),
        // so a run loads no cryptography for them; they are taken with the stamp, on the pipeline's writer thread.
        var identity = outcome.Identity;
        var own = OwnAssemblies(options);
        var keyed = UsesKeyedHashes(manifest);
        return new ClientSetup(manifest, delivery, new DropCounters(), gate, outcome, sinks, () => new EventStamp(
            manifest.Product,
            manifest.Revision,
            identity!.Install,
            Identity.SessionId.Current,
            uploads ? identity.Verifier(manifest.Product) : null,
            WireContextJson.Write(DetectContext(environment, testing).ToWire(version)),
            keyed ? identity.HashKey(manifest.Product) : [],
            own,
            manifest.Namespaces), TraceAtStart(testing));
    }

    /// <summary>
    /// Builds the trace source when a listener is expected from the start (see <see cref="CandorTrace"/>) and tells it
    /// what consent decided. The client calls it once its pipeline runs, so the writer thread prepares the event stamp
    /// meanwhile.
    /// </summary>
    public void TraceConsent()
    {
        if (_traceAtStart)
        {
            StartTrace();
        }
    }

    /// <summary>
    /// Once a run proves long (the pipeline's writer calls it once, after its sinks' own long run): builds the trace
    /// source, so a session attached to the running process sees its events.
    /// </summary>
    public void OnLongRun() => StartTrace();

    private void StartTrace()
    {
        if (Interlocked.Exchange(ref _consentTraced, 1) == 1)
        {
            return;
        }

        if (CandorTrace.Start() is { } source && source.IsEnabled())
        {
            // Checked here: naming the level goes through enum reflection, a few milliseconds.
            source.ConsentResolved(Manifest.Product, Decision.Level.ToString(), Decision.Detail);
        }
    }

    // A run that its flag, DO_NOT_TRACK, CANDOR_TELEMETRY or the settings' marker turns off is off whatever else says, so
    // it reads neither the manifest nor the policy nor the settings: the manifest's head, the home and the resolver were
    // most of what an off run spent in Candor. It still needs a manifest the build compiled and checked, so that a tool without one fails
    // here whether telemetry is on or off, and a key given without an endpoint is still checked against the build's.
    // The home whose settings decide is handed out (null when CANDOR_TELEMETRY speaks first, or there is no home), so
    // that the rest of the run finds it no more.
    private static bool OffAtOnce(CandorOptions options, IEnvironment environment, IFileSystem files, out CandorHome? settingsHome)
    {
        settingsHome = null;
        return (string.IsNullOrEmpty(options.IngestionKey) || options.Endpoint is not null)
            && (ConsentResolver.OffWhateverElseSays(options.CommandLineOptOut, environment) || SettingsTurnEveryProductOff(environment, files, out settingsHome))
            && (options.Manifest is not null || (options.Assembly is { } assembly && CompiledManifest.IsEmbedded(assembly)));
    }

    // The user's settings turn every product off (as settings.off, which the settings store keeps, says) and
    // CANDOR_TELEMETRY, the only source before them that can turn telemetry on, is not set: off from two file times.
    private static bool SettingsTurnEveryProductOff(IEnvironment environment, IFileSystem files, out CandorHome? home)
    {
        home = ConsentResolver.CandorVariableLevel(environment) is null ? HomeLocator.Find(environment).Home : null;
        return home is not null && SettingsOffMarker.SaysOff(home, files);
    }

    // The same without the marker: the settings are read (and handed on to the rest of the run, which reads them no
    // more) when CANDOR_TELEMETRY does not speak first.
    private static bool SettingsReadTurnEveryProductOff(CandorHome? home, IFileSystem files, out SettingsSnapshot? settings)
    {
        settings = home is null ? null : new SettingsStore(home, files).Read();
        return settings is { TurnsEveryProductOff: true };
    }

    // Apart from Resolve, whose every use of its parameters would otherwise go through the closure's object.
    private static ClientSetup DecidedOff(CandorOptions options, IEnvironment environment, IFileSystem files, DeliveryOptions? delivery, TelemetryManifest? manifest) =>
        new(manifest ?? options.Manifest, () => Resolve(options, environment, files, testSink: null, offAtOnce: false), delivery, TraceAtStart(testing: false));

    // A build without a key records only what the run prints or the user keeps locally. The consent asked here leaves
    // out the policy, the CI vendor and the home's problems, each of which can only turn telemetry off: when it is off
    // without them, it is off with them.
    private static bool PrivateBuildOff(CandorOptions options, IEnvironment environment, TelemetryManifest manifest, bool printing, SettingsSnapshot? settings) =>
        !printing
        && string.IsNullOrEmpty(ToolBuild.Key(options, manifest))
        && ConsentResolver.Resolve(new ConsentInputs
        {
            Manifest = manifest,
            Environment = environment,
            CommandLineOptOut = options.CommandLineOptOut,
            // Read already, unless CANDOR_TELEMETRY speaks first (then they are not asked for) or there is no home.
            ReadSettings = () => settings ?? SettingsSnapshot.Empty,
            CanSend = static () => false,
        }).Level == TelemetryLevel.Off;

    // Apart from Resolve, whose every use of the options would otherwise go through the closure's object.
    private static Func<bool> CanSend(CandorOptions options, TelemetryManifest manifest) =>
        () => !string.IsNullOrEmpty(ToolBuild.Key(options, manifest));

    // A tool's tests listen in process, from before their first event.
    private static bool TraceAtStart(bool testing) => testing || CandorTrace.AskedAtStart(ProcessEnvironment.Instance);

    // A tool's tests detect the context from their own environment; a real run's is computed once per process.
    private static MachineContext DetectContext(IEnvironment environment, bool testing) =>
        testing ? new ContextProbe(environment, PhysicalFileSystem.Instance).Detect() : ContextProbe.Current;

    // The key is used by hash and name-or-hash fields (alone or as list items), nothing else. Loops rather than LINQ's
    // Any: its lambdas and iterators are more types for every recording run to load.
    private static bool UsesKeyedHashes(TelemetryManifest manifest)
    {
        var events = manifest.Events;
        for (var i = 0; i < events.Count; i++)
        {
            var fields = events[i].Fields;
            for (var j = 0; j < fields.Count; j++)
            {
                if (IsKeyed(fields[j]) || (fields[j].Item is { } item && IsKeyed(item)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsKeyed(FieldDefinition field) => field.Kind is FieldKind.Hash or FieldKind.NameOrHash;

    // A scan of a short array, not a set: HashSet's type is forwarded through System.Collections, an assembly of its
    // own for every recording run to load, for the one or two assemblies a tool has.
    private static Func<Assembly, bool> OwnAssemblies(CandorOptions options)
    {
        // The list only when the tool made one: asking CandorOptions.OwnAssemblies makes it, and loads its types.
        var own = options.OwnAssembliesIfSet is { } more ? WithMore(more, options.Assembly) : options.Assembly is { } assembly ? [assembly] : [];
        return candidate => Array.IndexOf(own, candidate) >= 0;

        // Copied, not spread: a spread enumerates the list through its interface (see ListCopy).
        [MethodImpl(MethodImplOptions.NoInlining)]
        static Assembly[] WithMore(List<Assembly> more, Assembly? assembly)
        {
            var all = new Assembly[more.Count + (assembly is null ? 0 : 1)];
            more.CopyTo(all, 0);
            if (assembly is not null)
            {
                all[^1] = assembly;
            }

            return all;
        }
    }
}
