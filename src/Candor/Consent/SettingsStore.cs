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
    /// The choices as they are now. Never throws and never writes: a missing, unreadable, truncated or
    /// corrupt file reads as "no choices" (the next change repairs it).
    /// </summary>
    public SettingsSnapshot Read()
    {
        var document = TryReadDocument();
        return document is null ? SettingsSnapshot.Empty : SettingsSnapshot.From(document);
    }

    /// <summary>
    /// Changes the file under <c>settings.lock</c>: reads the current file, lets <paramref name="change"/> modify
    /// it and writes it back when <paramref name="change"/> returns true (or the file needed repair).
    /// </summary>
    /// <remarks>Blocks while another process holds the lock, for at most about five seconds.</remarks>
    /// <exception cref="IOException">The home cannot be written, or the lock stayed taken.</exception>
    /// <exception cref="UnauthorizedAccessException">The home cannot be written.</exception>
    public void Update(Func<SettingsDocument, bool> change)
    {
        _files.CreatePrivateDirectory(Home.Root);
        using var settingsLock = LockRetry.Acquire(_files, Home.SettingsLock, _lockAttempts, _lockRetryDelay);
        var current = TryReadDocument();
        var document = current ?? new SettingsDocument();
        var changed = change(document);
        if (changed || (current is null && _files.FileExists(Home.SettingsFile)))
        {
            document.Version = SettingsDocument.CurrentVersion;
            _files.WriteAtomic(Home.SettingsFile, SettingsJson.Write(document), durable: true);
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
            var entry = document.Products.GetValueOrDefault(product);
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

    private SettingsDocument? TryReadDocument()
    {
        byte[]? bytes;
        try
        {
            bytes = _files.ReadAllBytesOrNull(Home.SettingsFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (bytes is null)
        {
            return null;
        }

        try
        {
            return SettingsJson.Read(Utf8Text.WithoutBom(bytes));
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
