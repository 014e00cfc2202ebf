using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Candor.Json;
using Candor.Protocol;
using Candor.Storage;

namespace Candor.Delivery;

/// <summary>
/// One product's events on disk, waiting to be sent: one file per event, written atomically, named
/// <c>{UTC ticks, 19 digits}-{id}.json</c> so an ordinal sort of the names is oldest first. Bounded in
/// files, bytes and age; past a bound the oldest go first, counted by reason. Files that are not events are
/// set aside in <c>corrupt/</c> (bounded) so they are never retried. Several processes may write, trim and
/// read one spool at once: a file is either whole or absent, and a file that vanished under a reader is
/// skipped. Nothing here throws for a file-system failure.
/// </summary>
internal sealed partial class Spool
{
    private const string Extension = ".json";
    private static ReadOnlySpan<byte> ExtensionUtf8 => ".json"u8;
    private const string EventPattern = "*" + Extension;
    private const string TempPattern = "*.tmp";
    private const int TimeDigits = 19;

    // A writer killed between creating its temporary file and renaming it leaves the temporary file behind;
    // after this long no live writer can still own it.
    private static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private readonly string _directory;
    private readonly string _trimmed;
    private readonly string _corruptDirectory;
    private readonly IFileSystem _files;
    private readonly TimeProvider _time;
    private readonly DeliveryOptions _options;
    private readonly DeliveryCounters _counters;
    private readonly Func<bool> _deliveryFailing;

    // Guards the estimate below, and makes one instance trim once at a time (trims of other processes may overlap).
    private readonly object _gate = new();
    private readonly CandorHome _home;

    // The spool's size as this instance last measured it plus what it wrote since, so a write lists the folder only
    // when a bound may have been passed.
    private bool _measured;
    private int _fileCount;
    private long _byteCount;

    // The bounds as the last measurement found them: the options' while deliveries fail, a multiple while they succeed.
    private int _maxFiles;
    private long _maxBytes;

    // deliveryFailing: whether the product's last upload failed, read when the spool is measured. Past the options'
    // bounds the oldest events are dropped only then, or past HealthyBoundFactor times them, so events that wait for
    // an uploader keeping up with many writers are not lost. Null: the options' bounds always.
    public Spool(CandorHome home, string product, IFileSystem files, TimeProvider time, DeliveryOptions options, DeliveryCounters counters, Func<bool>? deliveryFailing = null)
    {
        _home = home;
        _directory = home.SpoolDirectory(product);
        _trimmed = home.SpoolTrimmed(product);
        _corruptDirectory = home.CorruptDirectory(product);
        _files = files;
        _time = time;
        _options = options;
        _counters = counters;
        _deliveryFailing = deliveryFailing ?? (static () => true);
    }

    /// <summary>How many times the options' bounds the spool may hold while deliveries succeed.</summary>
    public const int HealthyBoundFactor = 4;

    /// <summary>
    /// Writes one serialized event. Returns false, and counts why, when it was dropped: too large, the disk
    /// full, the folder not writable. Never throws for a file-system failure. Once this instance has measured the
    /// spool (<see cref="Trim"/>), may drop the oldest events to stay within the bounds.
    /// </summary>
    public bool TryWrite(Guid id, ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Length > ProtocolConstants.MaxEventBytes)
        {
            _counters.AddDropped(DropReasons.TooLarge);
            return false;
        }

        try
        {
            // A file or a named pipe where the folder belongs (or one of its parents) is set aside only when creating
            // it fails, so a run pays nothing for the check.
            HomeFiles.CreateFolder(_files, _home, _directory);
            // Not flushed to the disk: the tool waits for this write at exit, and a flush costs up to tens of
            // milliseconds on a slow disk, every run. The rename alone survives the tool's crash or kill; after a
            // power loss the last events may be missing or empty, and an empty file is set aside as corrupt.
            _files.WriteAtomic(Path.Combine(_directory, FileName(_time.GetUtcNow(), id)), utf8Json, durable: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _counters.AddDropped(IsDiskFull(e) ? DropReasons.DiskFull : DropReasons.WriteFailed);
            return false;
        }

        KeepWithinBounds(utf8Json.Length);
        return true;
    }

    /// <summary>Whether any event file waits (cheap: one directory listing, no reads).</summary>
    public bool HasPending() => ListEventFiles().Length > 0;

    /// <summary>
    /// Every readable event, oldest first, byte for byte as it will be sent (for <c>candor pending</c>).
    /// Read-only: corrupt files are skipped here and set aside only by an upload.
    /// </summary>
    public IReadOnlyList<SpooledEvent> ListPending() => Inspect().Pending;

    /// <summary>
    /// Every readable event, oldest first, and every spool file that is not one, with why (for <c>candor status</c>
    /// and <c>candor pending</c>). Read-only: an upload sets those files aside. Never waits on a named pipe.
    /// </summary>
    public SpoolListing Inspect()
    {
        var pending = new List<SpooledEvent>();
        var unusable = new List<(string Path, string Problem)>();
        foreach (var path in ListEventFiles())
        {
            var (spooled, problem) = Read(path, setAside: false);
            if (spooled is not null)
            {
                pending.Add(spooled);
            }
            else if (problem is not null)
            {
                unusable.Add((path, problem));
            }
        }

        return new SpoolListing(pending, unusable);
    }

    /// <summary>The files set aside in <c>corrupt/</c>, oldest first. Never throws.</summary>
    public IReadOnlyList<string> ListSetAside()
    {
        try
        {
            return Sorted(_files.ListFiles(_corruptDirectory, "*"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>
    /// The oldest events that fit one batch: at most <paramref name="maxEvents"/>, and a body of at most
    /// <paramref name="maxBodyBytes"/> once wrapped. Files that are not events are set aside and counted on
    /// the way; files in <paramref name="skip"/> (already handled in this upload) are passed over.
    /// </summary>
    public IReadOnlyList<SpooledEvent> ReadBatch(int maxEvents, long maxBodyBytes, IReadOnlySet<string> skip)
    {
        var batch = new List<SpooledEvent>();
        long bodyBytes = BatchBody.EnvelopeBytes;
        foreach (var path in ListEventFiles())
        {
            if (batch.Count >= maxEvents)
            {
                break;
            }

            if (skip.Contains(path) || TryRead(path, setAside: true) is not { } spooled)
            {
                continue;
            }

            var grown = bodyBytes + spooled.Json.Length + (batch.Count > 0 ? BatchBody.SeparatorBytes : 0);
            if (grown > maxBodyBytes)
            {
                break;
            }

            bodyBytes = grown;
            batch.Add(spooled);
        }

        return batch;
    }

    /// <summary>Deletes a sent or refused event's file; false when it could not (it will be sent again, and de-duplicated).</summary>
    public bool Delete(SpooledEvent spooled)
    {
        if (!TryDelete(spooled.Path))
        {
            return false;
        }

        lock (_gate)
        {
            if (_measured && _fileCount > 0)
            {
                _fileCount--;
                _byteCount = Math.Max(0, _byteCount - spooled.Json.Length);
            }
        }

        return true;
    }

    // The name is formatted and parsed with the UTF-8 formatter and parser, which know no culture: any use of a
    // culture, the invariant one included, loads the globalization library, several milliseconds of every run.
    internal static string FileName(DateTimeOffset time, Guid id)
    {
        Span<byte> name = stackalloc byte[TimeDigits + 1 + 32 + Extension.Length];
        Utf8Formatter.TryFormat(time.UtcTicks, name, out _, new StandardFormat('D', TimeDigits));
        name[TimeDigits] = (byte)'-';
        GuidText.Format(id, name[(TimeDigits + 1)..], dashes: false);
        ExtensionUtf8.CopyTo(name[^ExtensionUtf8.Length..]);
        return Utf8Text.Decode(name);
    }

    private SpooledEvent? TryRead(string path, bool setAside) => Read(path, setAside).Event;

    // The event in a spool file, or why the file is not one (null for a file gone under us or unreadable for now).
    private (SpooledEvent? Event, string? Problem) Read(string path, bool setAside)
    {
        FileContents contents;
        try
        {
            // Bounded, so a stray huge file is never loaded into memory; and never waiting on a named pipe.
            contents = _files.ReadFile(path, ProtocolConstants.MaxEventBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable for now (no permission, an I/O error): tried again later.
            return (null, null);
        }

        switch (contents.State)
        {
            case FileState.Missing:
                // Gone under us (sent by another uploader, trimmed by another writer).
                return (null, null);
            case FileState.TooLarge:
                if (setAside)
                {
                    Drop(path, DropReasons.TooLarge);
                }

                return (null, "is " + contents.Problem);
            case FileState.NotAFile:
                if (setAside)
                {
                    SetAside(path);
                }

                return (null, "is " + contents.Problem);
        }

        var json = contents.Bytes!;
        if (!TryReadId(json, out var id))
        {
            if (setAside)
            {
                SetAside(path);
            }

            return (null, "is not an event (not one JSON object with an 'id')");
        }

        return (new SpooledEvent(path, id, SpooledAt(path), json), null);
    }

    /// <summary>Whether the bytes are one JSON object with a GUID <c>id</c>: what the batch body can carry verbatim.</summary>
    internal static bool TryReadId(byte[] json, out Guid id)
    {
        id = default;

        // A BOM is valid in a file but not inside the batch body, which embeds the bytes as they are; nor is text
        // that is not UTF-8, which the collector could not read.
        if (json.AsSpan().StartsWith(Utf8Bom) || !System.Text.Unicode.Utf8.IsValid(json))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty(WireNames.Id, out var value)
                && value.ValueKind == JsonValueKind.String
                && value.TryGetGuid(out id);
        }
        catch (Exception e) when (JsonProblems.IsMalformed(e))
        {
            return false;
        }
    }

    private void SetAside(string path)
    {
        _counters.AddDropped(DropReasons.Corrupt);
        try
        {
            if (_options.MaxCorruptFiles == 0)
            {
                _files.DeleteFile(path);
                return;
            }

            _files.CreatePrivateDirectory(_corruptDirectory);
            _files.Move(path, Path.Combine(_corruptDirectory, Path.GetFileName(path)));
            var aside = Sorted(_files.ListFiles(_corruptDirectory, "*"));
            for (var i = 0; i < aside.Length - _options.MaxCorruptFiles; i++)
            {
                _files.DeleteFile(aside[i]);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Could not move it aside: deleting it still keeps it from being retried forever.
            TryDelete(path);
        }
    }

    private void Drop(string path, string reason)
    {
        // Another process trimming the same spool may have deleted it first: count only what this one removed.
        if (FileExists(path) && TryDelete(path))
        {
            _counters.AddDropped(reason);
        }
    }

    private string[] ListEventFiles()
    {
        try
        {
            return Sorted(_files.ListFiles(_directory, EventPattern));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string[] Sorted(IReadOnlyList<string> paths)
    {
        var sorted = paths.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        return sorted;
    }

    private DateTimeOffset SpooledAt(string path)
    {
        var name = Path.GetFileName(path.AsSpan());
        Span<byte> digits = stackalloc byte[TimeDigits];
        if (name.Length > TimeDigits
            && Ascii.FromUtf16(name[..TimeDigits], digits, out _) == OperationStatus.Done
            && char.IsAsciiDigit((char)digits[0])
            && Utf8Parser.TryParse(digits, out long ticks, out var consumed)
            && consumed == TimeDigits
            && ticks <= DateTimeOffset.MaxValue.UtcTicks)
        {
            return new DateTimeOffset(ticks, TimeSpan.Zero);
        }

        // A file not named by the spool (copied in by hand): its write time is the best guess of its age.
        try
        {
            return _files.LastWriteTime(path) ?? _time.GetUtcNow();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return _time.GetUtcNow();
        }
    }

    private bool FileExists(string path)
    {
        try
        {
            return _files.FileExists(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private bool TryDelete(string path)
    {
        try
        {
            _files.DeleteFile(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IsDiskFull(Exception e)
    {
        if (OperatingSystem.IsWindows())
        {
            // ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL.
            return (e.HResult & 0xFFFF) is 39 or 112;
        }

        // On Unix the runtime puts the errno in HResult: ENOSPC is 28 everywhere; EDQUOT (quota) differs.
        return e.HResult == 28
            || (OperatingSystem.IsLinux() && e.HResult == 122)
            || (OperatingSystem.IsMacOS() && e.HResult == 69);
    }
}

/// <summary>What a spool holds: its events, and the files in it that are not events, with why.</summary>
internal sealed record SpoolListing(IReadOnlyList<SpooledEvent> Pending, IReadOnlyList<(string Path, string Problem)> Unusable);
