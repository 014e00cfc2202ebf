using System.Reflection;
using Candor.Delivery;
using Candor.Manifest;

namespace Candor;

/// <summary>
/// How a tool configures its Candor client. Most tools set only <see cref="Assembly"/>: the manifest,
/// version, ingestion key and endpoint are read from it (the key and endpoint come from the
/// <c>CandorIngestionKey</c> and <c>CandorEndpoint</c> MSBuild properties, so a source build has no key
/// and never uploads).
/// </summary>
public sealed class CandorOptions
{
    /// <summary>The tool's assembly: where the manifest is embedded, whose version is reported, and whose frames are kept in stack signatures.</summary>
    public Assembly? Assembly { get; set; }

    /// <summary>The manifest; when null it is read from <see cref="Assembly"/>'s <c>candor.manifest.json</c> resource.</summary>
    public TelemetryManifest? Manifest { get; set; }

    /// <summary>The version reported with every event; when null, <see cref="Assembly"/>'s informational version.</summary>
    public string? ProductVersion { get; set; }

    /// <summary>The product's write-only ingestion key; when null, the <c>Candor.IngestionKey</c> assembly metadata. Without a key nothing is uploaded.</summary>
    public string? IngestionKey { get; set; }

    /// <summary>The collector's base address; when null, the <c>Candor.Endpoint</c> assembly metadata. HTTPS unless loopback.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The opt-out flag the user passed for this run (<c>--disable-telemetry</c> or one of the manifest's aliases), or null when none was.</summary>
    public string? CommandLineOptOut { get; set; }

    /// <summary>Print every event's exact JSON to <see cref="PrintWriter"/> (a tool's <c>--printmetrics</c>). <c>CANDOR_TELEMETRY_DEBUG=1</c> does the same.</summary>
    public bool PrintEvents { get; set; }

    /// <summary>Where printed events go; standard error when null.</summary>
    public TextWriter? PrintWriter { get; set; }

    /// <summary>Where the first-run disclosure goes; standard error when null.</summary>
    public TextWriter? DisclosureWriter { get; set; }

    /// <summary>
    /// When true, the first-run disclosure is not shown by <see cref="CandorClient.Create"/>; the tool shows it
    /// with <see cref="CandorClient.ShowDisclosureIfNeeded"/> before its first real command (never for <c>--help</c>).
    /// </summary>
    public bool DeferDisclosure { get; set; }

    /// <summary>The spool's bounds, when to upload, and the exit budget: the longest <see cref="CandorClient.Dispose"/> waits (default 200 ms).</summary>
    public DeliveryOptions Delivery
    {
        get => _delivery ??= new();
        set => _delivery = value;
    }

    // Made when first asked for: a run that is off and never configured delivery needs neither the options nor their
    // checks, and their defaults are a dozen first calls.
    private DeliveryOptions? _delivery;

    /// <summary>The delivery options when the tool set or read them, else null (the defaults).</summary>
    internal DeliveryOptions? DeliveryIfSet => _delivery;

    /// <summary>More assemblies whose frames are kept in stack signatures (a tool split into several assemblies).</summary>
    public IList<Assembly> OwnAssemblies => _ownAssemblies ??= [];

    // Made when first asked for: a list built with every options object loads the collections' assembly in runs that
    // are off.
    private List<Assembly>? _ownAssemblies;

    /// <summary>The tool's further assemblies, or null when it named none (and the list was never made).</summary>
    internal List<Assembly>? OwnAssembliesIfSet => _ownAssemblies;

    /// <summary>How many events may wait in memory for the background writer before new ones are dropped. Default 1024.</summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>The clock; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
