using Candor.Storage;

namespace Candor.Consent;

/// <summary>
/// <c>settings.off</c>, which the settings store keeps beside <c>settings.json</c> while that file turns every product
/// off (the machine-wide level off, and no product with a level of its own but off): a run then knows from two file
/// times that the user's choice is off, without reading and parsing the settings (<c>candor off</c> is the one
/// switch, so it is the opt-out that costs least). The marker counts only while it is not older than the settings: a
/// hand edit of <c>settings.json</c> after it makes it stale, and runs read the file again.
/// </summary>
/// <remarks>
/// The store removes the marker before it writes settings that turn anything on and writes it after settings that
/// turn everything off, so a reader never finds a current marker beside settings that turn a product on, except
/// after a hand edit within the file system's time resolution of the store's write (a few milliseconds on Linux) or
/// made while the clock was set back before it.
/// Such a run, like every doubt in Candor, is off: until the next change through Candor or the next edit.
/// </remarks>
internal static class SettingsOffMarker
{
    /// <summary>Whether the marker says the settings turn every product off; false when it cannot tell. Never throws.</summary>
    public static bool SaysOff(CandorHome home, IFileSystem files)
    {
        try
        {
            // Asked first, as most homes have no marker: a look for a file is less first-time work than its times.
            return files.FileExists(home.SettingsOffFile)
                && files.LastWriteTime(home.SettingsOffFile) is { } marked
                && files.LastWriteTime(home.SettingsFile) is { } written
                && marked >= written;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes <paramref name="json"/>, the serialised <paramref name="document"/>, as <c>settings.json</c>, with the
    /// marker removed before or written after it. Call under <c>settings.lock</c>.
    /// </summary>
    /// <exception cref="IOException">The settings, or a marker that must go, could not be written or removed.</exception>
    /// <exception cref="UnauthorizedAccessException">The home cannot be written.</exception>
    public static void WriteSettings(CandorHome home, IFileSystem files, SettingsDocument document, ReadOnlySpan<byte> json)
    {
        var everyProductOff = TurnsEveryProductOff(document);
        if (!everyProductOff)
        {
            files.DeleteFile(home.SettingsOffFile);
        }

        files.WriteAtomic(home.SettingsFile, json, durable: true);
        if (!everyProductOff)
        {
            return;
        }

        try
        {
            files.WriteAtomic(home.SettingsOffFile, [], durable: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without the marker, runs read the settings, which say off: slower, not wrong.
        }
    }

    /// <summary>Whether every product, named in the file or not, is off by <paramref name="document"/>.</summary>
    public static bool TurnsEveryProductOff(SettingsDocument document) => TurnsEveryProductOff(document.Level, document.Products);

    /// <summary>Whether every product is off by the machine-wide <paramref name="level"/> and each product's own.</summary>
    public static bool TurnsEveryProductOff(string? level, Dictionary<string, ProductSettings> products)
    {
        if (!IsOff(level))
        {
            return false;
        }

        // A loop over the dictionary's own enumerator: LINQ's would be types of its own for a run that is off to load.
        foreach (var product in products)
        {
            if (product.Value.Level is { } own && !IsOff(own))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsOff(string? level) => TelemetryLevelText.TryParse(level, out var parsed) && parsed == TelemetryLevel.Off;
}
