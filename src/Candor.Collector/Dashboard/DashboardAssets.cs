using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Candor.Collector.Dashboard;

/// <summary>
/// The dashboard's script, style sheet and charting library, embedded in the collector's assembly by the build
/// (see the project file). Each is served with a content hash in its address, so browsers may keep it for good.
/// </summary>
internal static class DashboardAssets
{
    private const string Prefix = "dashboard/";

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    /// <summary>The address of an asset, with its content hash; throws when the build did not embed it.</summary>
    public static string Url(string name) =>
        Assets.TryGetValue(name, out var asset)
            ? $"/dashboard/assets/{name}?v={asset.Hash}"
            : throw new InvalidOperationException($"the dashboard asset '{name}' was not embedded; build the collector with Node.js and npm installed");

    /// <summary>Serves an asset; 404 for anything else.</summary>
    public static IResult Serve(string path, HttpContext http)
    {
        if (!Assets.TryGetValue(path, out var asset))
        {
            return TypedResults.NotFound();
        }

        http.Response.Headers.CacheControl = http.Request.Query["v"] == asset.Hash ? "public, max-age=31536000, immutable" : "no-cache";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Bytes(asset.Content, asset.ContentType, entityTag: new EntityTagHeaderValue($"\"{asset.Hash}\""));
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var name = resource[Prefix.Length..];
            var contentType = Path.GetExtension(name) switch
            {
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                _ => "application/octet-stream",
            };
            assets[name] = new Asset(content, contentType, Convert.ToHexStringLower(SHA256.HashData(content))[..16]);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private sealed record Asset(byte[] Content, string ContentType, string Hash);
}
