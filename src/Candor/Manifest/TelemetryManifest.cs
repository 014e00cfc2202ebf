using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Candor.Diagnostics;

namespace Candor.Manifest;

/// <summary>
/// The one source of truth for what a product collects: its events, their properties and measurements,
/// its disclosure, its consent model and its own ways to opt out. A manifest is checked completely when
/// it is loaded; an instance of this type is always valid.
/// </summary>
public sealed class TelemetryManifest
{
    /// <summary>The logical name under which a tool embeds its manifest (the <c>CandorManifest</c> MSBuild item does this).</summary>
    public const string ResourceName = "candor.manifest.json";

    /// <summary>A manifest whose events, mappings and text are read by <paramref name="readBody"/> when first asked for.</summary>
    internal TelemetryManifest(
        string product,
        string name,
        int revision,
        ConsentModel consent,
        int disclosureVersion,
        string disclosureText,
        IReadOnlyList<string> optOutVariables,
        IReadOnlyList<string> optOutFlags,
        int retentionMonths,
        CiPolicy ci,
        string? contact,
        IReadOnlyList<string> neverCollected,
        IReadOnlyList<string> namespaces,
        Func<ManifestBody> readBody)
    {
        Product = product;
        Name = name;
        Revision = revision;
        Consent = consent;
        DisclosureVersion = disclosureVersion;
        DisclosureText = disclosureText;
        OptOutEnvironmentVariables = optOutVariables;
        OptOutFlags = optOutFlags;
        RetentionMonths = retentionMonths;
        Ci = ci;
        Contact = contact;
        NeverCollected = neverCollected;
        Namespaces = namespaces;
        _readBody = readBody;
    }

    /// <summary>The product's identifier: lower-case letters, digits, '.', '_' and '-'. Also the name of its folder in the Candor home.</summary>
    public string Product { get; }

    /// <summary>The product's display name (defaults to <see cref="Product"/>).</summary>
    public string Name { get; }

    /// <summary>The manifest's revision; every event says which revision it follows, and the collector keeps each one.</summary>
    public int Revision { get; }

    /// <summary>Whether the product collects until the user opts out, or only after the user opts in.</summary>
    public ConsentModel Consent { get; }

    /// <summary>The version of the disclosure text; raising it shows the disclosure again.</summary>
    public int DisclosureVersion { get; }

    /// <summary>The first-run disclosure shown on stderr.</summary>
    public string DisclosureText { get; }

    /// <summary>The product's own environment variables that turn telemetry off (for example <c>SAMPLE_DISABLE_METRICS</c>).</summary>
    public IReadOnlyList<string> OptOutEnvironmentVariables { get; }

    /// <summary>The product's own command-line flags that turn telemetry off for one run, besides <c>--disable-telemetry</c>.</summary>
    public IReadOnlyList<string> OptOutFlags { get; }

    /// <summary>How many months the collector keeps raw events (default 14).</summary>
    public int RetentionMonths { get; }

    /// <summary>Whether CI runs are collected (tagged) or suppressed.</summary>
    public CiPolicy Ci { get; }

    /// <summary>Where users report a privacy concern, shown on the privacy page.</summary>
    public string? Contact { get; }

    /// <summary>What the product promises never to collect, shown on the privacy page.</summary>
    public IReadOnlyList<string> NeverCollected { get; }

    /// <summary>
    /// The product's own code namespaces, such as <c>Kmpkg</c> or <c>Kmpkg.Cli</c>: a stack signature keeps only the
    /// frames (and, besides the framework's, the exception types) whose dotted name begins with one of them, segment by
    /// segment. Code in the global namespace is declared by its type name (<c>Program</c> for top-level statements).
    /// Required when an event declares a <c>stack</c> field; empty otherwise.
    /// </summary>
    public IReadOnlyList<string> Namespaces { get; }

    /// <summary>What the build that compiled this manifest knew about the tool (version, key, endpoint), or null when no build said.</summary>
    internal BuildFacts? Build { get; init; }

    /// <summary>The declared events, in manifest order.</summary>
    public IReadOnlyList<EventDefinition> Events => Body.Events;

    /// <summary>
    /// How items from other telemetry clients (OTLP, Application Insights) become declared events at the collector,
    /// or null when the manifest has no <c>mappings</c> section. The SDK tracks nothing through it.
    /// </summary>
    public ManifestMappings? Mappings => Body.Mappings;

    /// <summary>The manifest as it was written, for registering it with a collector.</summary>
    public string Json => Body.Json;

    // Never changed after it is made.
    internal Dictionary<string, EventDefinition> EventsByName => Body.EventsByName;

    // What only a run that records or registers reads: a compiled manifest's body is read when first asked for (see
    // CompiledManifest), so deciding that a run is off reads the head alone.
    private ManifestBody? _body;
    private readonly Func<ManifestBody> _readBody;

    private ManifestBody Body => Volatile.Read(ref _body) ?? ReadBody();

    /// <summary>Whether the events, mappings and text have been read.</summary>
    internal bool BodyRead => Volatile.Read(ref _body) is not null;

    // Two threads may both read it; the body is the same either way, and the first one kept is used by both.
    private ManifestBody ReadBody()
    {
        ManifestBody body;
        try
        {
            body = _readBody();
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
        {
            // The head was read and the body's length checked at start, so only a damaged assembly gets here: the run
            // goes on with no events declared (each one tracked is dropped as undeclared) rather than throw in the tool.
            SelfLog.Failure("reading the compiled manifest's events", ex);
            body = new ManifestBody([], null, "");
        }

        return Interlocked.CompareExchange(ref _body, body, null) ?? body;
    }

    /// <summary>Finds a declared event by name.</summary>
    /// <returns><see langword="null"/> when the manifest does not declare <paramref name="name"/>.</returns>
    // TryGetValue, not GetValueOrDefault: the extension is in System.Collections, an assembly a run need not load.
    public EventDefinition? Find(string name) => EventsByName.TryGetValue(name, out var definition) ? definition : null;

    /// <summary>
    /// <see cref="Find"/> for the tracking path: a tool passes the same string instance (a literal) on every call, so
    /// the definition found for an instance is remembered in a slot picked by the instance's identity and found again
    /// with one reference comparison; hashing the name's characters cost more than the rest of starting an event.
    /// </summary>
    /// <remarks>
    /// Racing threads may overwrite each other's slots; a definition is returned from a slot only when the name it
    /// remembers is the very instance asked for, which it remembers only after a lookup by value matched it.
    /// </remarks>
    internal EventDefinition? Lookup(string name)
    {
        var seen = _seen ??= new EventDefinition?[SeenSlots];
        var slot = RuntimeHelpers.GetHashCode(name) & (SeenSlots - 1);
        if (seen[slot] is { } remembered && ReferenceEquals(remembered.SeenName, name))
        {
            return remembered;
        }

        var definition = Find(name);
        if (definition is not null)
        {
            definition.SeenName = name;
            seen[slot] = definition;
        }

        return definition;
    }

    private const int SeenSlots = 64;

    // Made by the first event tracked, so a run that tracks nothing never makes it.
    private EventDefinition?[]? _seen;

    /// <summary>Reads and checks a manifest.</summary>
    /// <exception cref="ManifestException">The text is not JSON, or the manifest is wrong; the message names every problem.</exception>
    public static TelemetryManifest Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var document = ManifestJson.Read(Encoding.UTF8.GetBytes(json))
            ?? throw new ManifestException("the manifest is empty (JSON null)");
        return ManifestBuilder.Build(document, json, requireNamespaces: true);
    }

    /// <summary>
    /// Reads and checks a manifest revision that a collector or a Candor home already holds. As <see cref="Parse"/>,
    /// except that a revision written before manifests declared <see cref="Namespaces"/> is accepted without them: it
    /// declares none, so its stack values may hold only framework exception types and <c>[external]</c> frames.
    /// </summary>
    /// <exception cref="ManifestException">The text is not JSON, or the manifest is wrong.</exception>
    public static TelemetryManifest ParseRegistered(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var document = ManifestJson.Read(Encoding.UTF8.GetBytes(json))
            ?? throw new ManifestException("the manifest is empty (JSON null)");
        return ManifestBuilder.Build(document, json, requireNamespaces: false);
    }

    /// <summary>Reads and checks a manifest from a UTF-8 stream.</summary>
    /// <exception cref="ManifestException">The manifest is wrong.</exception>
    public static TelemetryManifest Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Parse(reader.ReadToEnd());
    }

    /// <summary>
    /// The manifest embedded in <paramref name="assembly"/>: the form the build compiled and checked when the package's
    /// build targets made one, else the file under <see cref="ResourceName"/>, read and checked now.
    /// </summary>
    /// <exception cref="ManifestException">The assembly embeds no manifest, or the manifest is wrong.</exception>
    public static TelemetryManifest FromAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        using (var compiled = assembly.GetManifestResourceStream(CompiledManifest.ResourceName))
        {
            if (compiled is not null && CompiledManifest.TryRead(compiled) is { } manifest)
            {
                return manifest;
            }
        }

        using var stream = assembly.GetManifestResourceStream(ResourceName)
            ?? throw new ManifestException(
                $"assembly '{assembly.GetName().Name}' embeds no resource named '{ResourceName}'; add <CandorManifest>path/to/manifest.json</CandorManifest> to the project");
        return Load(stream);
    }
}
