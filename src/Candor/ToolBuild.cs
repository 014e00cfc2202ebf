using System.Reflection;
using System.Runtime.CompilerServices;
using Candor.Manifest;

namespace Candor;

/// <summary>
/// The tool's version, ingestion key and collector address: from the options when the tool set them, else from what
/// its build compiled into the manifest (<see cref="BuildFacts"/>), else from the assembly's attributes, by reflection
/// (a build without the manifest compiler, or one that writes its own attributes). Each is asked for only by a run
/// that needs it.
/// </summary>
internal static class ToolBuild
{
    private const string KeyMetadata = "Candor.IngestionKey";
    private const string EndpointMetadata = "Candor.Endpoint";

    /// <summary>The version every event reports.</summary>
    public static string Version(CandorOptions options, TelemetryManifest manifest) =>
        options.ProductVersion ?? manifest.Build?.Version ?? AttributeVersion(options.Assembly) ?? "0.0.0";

    // Apart from Version: a precompiled method loads the types it names when it is first called, and only a build
    // without the compiled manifest's facts asks the attributes.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string? AttributeVersion(Assembly? assembly) =>
        BuildFacts.WithoutSourceRevision(assembly?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion)
        ?? assembly?.GetName().Version?.ToString();

    /// <summary>The product's ingestion key, or null for a private build, which never uploads.</summary>
    public static string? Key(CandorOptions options, TelemetryManifest manifest) =>
        options.IngestionKey ?? (manifest.Build is { } facts ? facts.IngestionKey : Metadata(options.Assembly, KeyMetadata));

    /// <summary>The collector's address, or null.</summary>
    /// <exception cref="ArgumentException">There is a key but no address.</exception>
    public static string? Endpoint(CandorOptions options, TelemetryManifest manifest, string? key)
    {
        // As the tool wrote it: ToString would build the canonical text, which no other part of a run needs.
        var endpoint = options.Endpoint?.OriginalString
            ?? (manifest.Build is { } facts ? facts.Endpoint : Metadata(options.Assembly, EndpointMetadata));
        return !string.IsNullOrEmpty(key) && string.IsNullOrEmpty(endpoint)
            ? throw new ArgumentException("The build sets an ingestion key but no collector endpoint: set CandorEndpoint (or CandorOptions.Endpoint) too.", nameof(options))
            : endpoint;
    }

    /// <summary>
    /// Whether the address <see cref="Endpoint"/> gives was checked when the tool was built: the compiled manifest's,
    /// which the manifest compiler checks by the rules a run would (see <see cref="Delivery.DeliveryEndpoint.Check"/>).
    /// </summary>
    public static bool EndpointCheckedByBuild(CandorOptions options, TelemetryManifest manifest) =>
        options.Endpoint is null && manifest.Build?.Endpoint is not null;

    private static string? Metadata(Assembly? assembly, string key) =>
        assembly?.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
}
