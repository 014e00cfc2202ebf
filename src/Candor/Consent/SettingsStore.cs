using System.Text.Json;
using Candor.Storage;

namespace Candor.Consent;

/// <summary>
/// Reads and changes <c>settings.json</c>, the one file of consent choices shared by every Candor tool and
/// every environment of the user. Reads take no lock: writes replace the file with an atomic rename, so a
/// reader sees the old file or the new one, never half of one. Changes take <c>settings.lock</c> and then
/// read, modify and write, so concurrent changes from several processes are all kept.
/// </summary>
internal sealed class SettingsStore
{
    private readonly IFileSystem _files;
    private readonly TimeProvider _time;
    private readonly int _lockAttempts;
    private readonly TimeSpan _lockRetryDelay;

    /// <param name="home">The Candor home.</param>
    /// <param name="files">The file system.</param>
    /// <param name="time">The clock for the date a product was first seen.</param>
    /// <param name="lockAttempts">How many times a change tries to take the lock before giving up.</param>
    /// <param name="lockRetryDelay">How long a change waits between attempts (about 5 s in all by default).</param>
    public SettingsStore(CandorHome home, IFileSystem files, TimeProvider? time = null, int lockAttempts = LockRetry.DefaultAttempts, TimeSpan? lockRetryDelay = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lockAttempts, 1);
        Home = home;
        _files = files;
        _time = time ?? TimeProvider.System;
        _lockAttempts = lockAttempts;
        _lockRetryDelay = lockRetryDelay ?? LockRetry.DefaultDelay;
    }

    public CandorHome Home { get; }

    /// <summary>
    /// The choices as they are now. Never throws and never writes: a missing file reads as "no choices", and a
    /// file that is there but cannot be read (not UTF-8, truncated JSON, a folder or a named pipe in its place, no
    /// permission) as a snapshot whose <see cref="SettingsSnapshot.Problem"/> says why, which consent takes as off.
    /// </summary>
    public SettingsSnapshot Read()
    {
        var file = ReadFile();
        return file.State switch
        {
            HomeFileState.Read => file.Value is null ? SettingsSnapshot.Empty : SettingsSnapshot.From(file.Value),
            HomeFileState.Missing => SettingsSnapshot.Empty,
            _ => SettingsSnapshot.Unreadable("settings.json " + file.Problem),
        };
    }

    /// <summary>
    /// Changes the file under <c>settings.lock</c>: reads the current file, lets <paramref name="change"/> modify
    /// it and writes it back when <paramref name="change"/> returns true (or the file needed repair).
    /// </summary>
    /// <remarks>
    /// Blocks while another process holds the lock, for at most about five seconds. A file that cannot be used
    /// (see <see cref="HomeFileState.Unusable"/>) is set aside and the change starts from a file whose machine-wide
    /// choice is off: it may have held opt-outs, and a change to one product must not turn the others on.
    /// </remarks>
    /// <exception cref="IOException">The home cannot be written, the lock stayed taken, or the file is there but cannot be read now.</exception>
    /// <exception cref="UnauthorizedAccessException">The home cannot be written.</exception>
    public void Update(Func<SettingsDocument, bool> change) => Change(change);

    /// <summary>
    /// When the file is there but can never be read as it is, sets it aside and writes in its place a file whose
    /// machine-wide choice is off, so every tool keeps telemetry off, quickly and for good, until the user chooses
    /// again; the set-aside copy stays for them to look at. Does nothing to a file that reads, or that only cannot
    /// be read now. Returns whether it repaired. Never throws.
    /// </summary>
    public bool Repair()
    {
        try
        {
            return Change(static _ => false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Records that <paramref name="product"/> ran with telemetry on, so <c>candor status</c> can list it.
    /// Writes only the first time; the check before the lock keeps every later run free of writes and locks.
    /// </summary>
    /// <exception cref="IOException">The home cannot be written, or the lock stayed taken.</exception>
    /// <exception cref="UnauthorizedAccessException">The home cannot be written.</exception>
    public void MarkSeen(string product)
    {
        if (Read().IsSeen(product))
        {
            return;
        }

        Update(document =>
        {
            var entry = document.Products.TryGetValue(product, out var found) ? found : null;
            if (entry is null)
            {
                entry = new ProductSettings();
                document.Products[product] = entry;
            }

            if (entry.Seen is not null)
            {
                return false;
            }

            entry.Seen = _time.GetUtcNow();
            return true;
        });
    }

    // Returns whether the file was unusable and so replaced.
    private bool Change(Func<SettingsDocument, bool> change)
    {
        _files.CreatePrivateDirectory(Home.Root);
        using var settingsLock = LockRetry.Acquire(_files, Home.SettingsLock, _lockAttempts, _lockRetryDelay);
        var current = ReadFile();
        SettingsDocument document;
        var repair = false;
        switch (current.State)
        {
            case HomeFileState.Read:
                document = current.Value ?? new SettingsDocument();
                break;
            case HomeFileState.Missing:
                document = new SettingsDocument();
                break;
            case HomeFileState.Unusable:
                // Set aside before the new file replaces it; a folder in its place must go for the write to work.
                // A copy that could not be set aside is still replaced by the write below.
                HomeFiles.TrySetAside(_files, Home.SettingsFile);
                document = new SettingsDocument { Level = TelemetryLevelText.ToText(TelemetryLevel.Off) };
                repair = true;
                break;
            default:
                // Perhaps a passing I/O error, perhaps no permission: either way it may hold choices, so it stays.
                throw new IOException($"'{Home.SettingsFile}' {current.Problem}; it was left as it is");
        }

        if (change(document) || repair)
        {
            document.Version = SettingsDocument.CurrentVersion;
            SettingsOffMarker.WriteSettings(Home, _files, document, SettingsJson.Write(document));
        }

        return repair;
    }

    /// <summary>The file as read, or why it cannot be used (for <c>candor status</c>). Never throws, never writes.</summary>
    public HomeFile<SettingsDocument> ReadFile() =>
        HomeFiles.Read(_files, Home.SettingsFile, HomeFiles.MaxStateBytes, static json => SettingsJson.Read(json));
}
