using System.Text;
using System.Text.Json;
using Candor.Json;
using Candor.Manifest;
using Candor.Storage;

namespace Candor.Catalog;

/// <summary>
/// What the <c>candor</c> tool needs to know about a product it did not build: its manifest (for <c>show</c>
/// and for the product's own opt-out variables in <c>status</c>) and its collector (for <c>forget</c>), kept
/// in <c>catalog/{id}.json</c>. A run that collects (or shows the disclosure) writes it; it lives outside
/// <c>products/</c> so that it outlives an opt-out, which erases the product's data but not what the product is.
/// </summary>
/// <param name="Product">The product ID.</param>
/// <param name="ProductVersion">The version of the tool that wrote the record last.</param>
/// <param name="Endpoint">The collector's base address, or null for a build that never uploads.</param>
/// <param name="IngestionKey">
/// The product's write-only ingestion key, which every copy of the tool carries in its assembly metadata anyway;
/// the collector's deletion endpoint asks for it together with the install ID.
/// </param>
/// <param name="Manifest">The manifest, or null when the stored one could not be read.</param>
internal sealed record ProductRecord(string Product, string? ProductVersion, string? Endpoint, string? IngestionKey, TelemetryManifest? Manifest);

/// <summary>Reads and writes <see cref="ProductRecord"/>s. Nothing here throws for a file-system failure.</summary>
internal sealed class ProductRecordStore
{
    private readonly CandorHome _home;
    private readonly IFileSystem _files;

    public ProductRecordStore(CandorHome home, IFileSystem files)
    {
        _home = home;
        _files = files;
    }

    /// <summary>
    /// Records the product, writing only when the record differs from the one on disk (a new version, manifest or
    /// collector), so a run of an unchanged tool reads one small file and writes nothing. Returns whether the
    /// record on disk is now current. Never throws.
    /// </summary>
    public bool Record(TelemetryManifest manifest, string? version, string? endpoint, string? ingestionKey)
    {
        try
        {
            var document = new ProductRecordDocument
            {
                Product = manifest.Product,
                ProductVersion = version,
                Endpoint = string.IsNullOrEmpty(endpoint) ? null : endpoint,
                IngestionKey = string.IsNullOrEmpty(endpoint) || string.IsNullOrEmpty(ingestionKey) ? null : ingestionKey,
            };
            var json = manifest.Json;
            document.Stamp = ProductRecordStamp.Of(document, json);
            var path = _home.CatalogFile(manifest.Product);
            if (ProductRecordStamp.IsFoundIn(_files, path, document.Stamp))
            {
                return true;
            }

            if (ReadDocument(manifest.Product).State == HomeFileState.Unusable)
            {
                HomeFiles.TrySetAside(_files, path);
            }

            document.Manifest = Encoding.UTF8.GetBytes(json);
            HomeFiles.CreateFolder(_files, _home, _home.CatalogDirectory);
            _files.WriteAtomic(path, ProductRecordJson.Write(document), durable: true);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException || JsonProblems.IsMalformed(ex))
        {
            return false;
        }
    }

    /// <summary>The product's record, or null when there is none or it cannot be read. Never throws.</summary>
    public ProductRecord? TryRead(string product)
    {
        var file = ReadDocument(product);
        if (file.Value is not { } document || document.Product != product)
        {
            return null;
        }

        TelemetryManifest? manifest = null;
        if (document.Manifest.Span is [(byte)'{', ..])
        {
            try
            {
                manifest = TelemetryManifest.ParseRegistered(Encoding.UTF8.GetString(document.Manifest.Span));
            }
            catch (Exception ex) when (ex is ManifestException || JsonProblems.IsMalformed(ex))
            {
                // A record written by a newer SDK whose manifest this one cannot read: the collector is still useful.
            }
        }

        return new ProductRecord(document.Product, document.ProductVersion, document.Endpoint, document.IngestionKey, manifest?.Product == product ? manifest : null);
    }

    /// <summary>The product's catalogue file as read, or why it cannot be used (for <c>candor status</c>). Never throws, never writes.</summary>
    public HomeFile<ProductRecordDocument> ReadDocument(string product) =>
        HomeFiles.Read(_files, _home.CatalogFile(product), HomeFiles.MaxCatalogBytes, static json => ProductRecordJson.Read(json));

    /// <summary>The products that have a record, sorted. Never throws.</summary>
    public IReadOnlyList<string> List()
    {
        try
        {
            return [.. _files.ListFiles(_home.CatalogDirectory, "*.json")
                .Select(Path.GetFileNameWithoutExtension)
                .OfType<string>()
                .Where(name => ManifestBuilder.IdPattern().IsMatch(name))
                .Order(StringComparer.Ordinal)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}

// catalog/{id}.json as written (by ProductRecordJson). The manifest is kept as JSON (not a string) so a person can read the file;
// here it is that JSON's UTF-8 text (empty when there is none), which the codec copies without building a document.
internal sealed class ProductRecordDocument
{
    public int Version { get; set; } = 1;

    // What the record was written from, in one word (see ProductRecordStamp); null in a record written before it.
    public string? Stamp { get; set; }

    public string Product { get; set; } = "";

    public string? ProductVersion { get; set; }

    public string? Endpoint { get; set; }

    public string? IngestionKey { get; set; }

    public ReadOnlyMemory<byte> Manifest { get; set; }
}
