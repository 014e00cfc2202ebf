using Candor.Manifest;

namespace Candor.Tests.Support;

/// <summary>Variations of <see cref="Some.ManifestJson"/> for consent tests.</summary>
internal static class Manifests
{
    public static TelemetryManifest Sample(string consent = "opt-out", string ci = "tag", int disclosureVersion = 1, string product = "sample")
    {
        var json = Some.ManifestJson
            .Replace("\"product\": \"sample\"", $"\"product\": \"{product}\"")
            .Replace("\"consent\": \"opt-out\"", $"\"consent\": \"{consent}\", \"ci\": \"{ci}\"")
            .Replace("\"version\": 1,", $"\"version\": {disclosureVersion},");
        return TelemetryManifest.Parse(json);
    }
}
