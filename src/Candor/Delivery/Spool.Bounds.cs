using Candor.Protocol;

namespace Candor.Delivery;

// The spool's bounds (count, bytes, age): who applies them and when. Writing does not measure the spool; an upload
// does before it sends, and a run that cannot hand its events off does at most every TrimInterval.
internal sealed partial class Spool
{
    /// <summary>How long a run that cannot hand its events off leaves the spool as the last such run trimmed it.</summary>
    public static readonly TimeSpan TrimInterval = TimeSpan.FromMinutes(10);

    /// <summary>
    /// <see cref="Trim"/>, unless a run trimmed less than <see cref="TrimInterval"/> ago. Every run that finds the
    /// uploader backing off trims, and listing the spool (the event files, then the temporary ones) is a few hundred
    /// first calls and a read of the folder in each of them for as long as an outage lasts. The runs between two
    /// trims can pass a bound by their own events only, which the next trim, or the uploader before it sends, drops.
    /// </summary>
    public void TrimIfDue()
    {
        try
        {
            if (_files.LastWriteTime(_trimmed) is { } trimmed && _time.GetUtcNow() - trimmed is var since
                && since >= TimeSpan.Zero && since < TrimInterval)
            {
                return;
            }

            Trim();
            _files.WriteAtomic(_trimmed, [], durable: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next run.
        }
    }

    /// <summary>Applies the age, file and byte bounds now, oldest first, and removes abandoned temporary files.</summary>
    public void Trim()
    {
        lock (_gate)
        {
            TrimLocked();
        }
    }

    // Writing does not measure the spool: listing a folder costs a short run milliseconds at exit. The bounds are
    // applied by whoever measures it: every upload before it sends, and a run that cannot hand its events to an
    // uploader (see SpoolSink). An instance that has measured keeps its estimate and trims when it passes a bound.
    private void KeepWithinBounds(int written)
    {
        lock (_gate)
        {
            if (!_measured)
            {
                return;
            }

            _fileCount++;
            _byteCount += written;
            if (_fileCount > _maxFiles || _byteCount > _maxBytes)
            {
                TrimLocked();
            }
        }
    }

    private void TrimLocked()
    {
        var now = _time.GetUtcNow();
        var failing = _deliveryFailing();
        _maxFiles = failing ? _options.MaxSpoolFiles : (int)Math.Min(int.MaxValue, (long)_options.MaxSpoolFiles * HealthyBoundFactor);
        _maxBytes = failing ? _options.MaxSpoolBytes : _options.MaxSpoolBytes * HealthyBoundFactor;
        var paths = ListEventFiles();
        var kept = new List<string>(paths.Length);
        foreach (var path in paths)
        {
            if (now - SpooledAt(path) > _options.MaxSpoolAge)
            {
                Drop(path, DropReasons.SpoolAge);
            }
            else
            {
                kept.Add(path);
            }
        }

        var first = Math.Max(0, kept.Count - _maxFiles);
        for (var i = 0; i < first; i++)
        {
            Drop(kept[i], DropReasons.SpoolFiles);
        }

        // A file holds one event of at most MaxEventBytes: while the files left cannot pass the byte bound together,
        // they are not measured, and the bound on them stands for their size. Measuring is a stat a file, in every
        // run that finds the uploader backing off, for as long as an outage lasts.
        var total = (long)(kept.Count - first) * ProtocolConstants.MaxEventBytes;
        if (total > _maxBytes)
        {
            var lengths = new long[kept.Count];
            total = 0L;
            for (var i = first; i < kept.Count; i++)
            {
                lengths[i] = Length(kept[i]);
                total += lengths[i];
            }

            while (total > _maxBytes && first < kept.Count)
            {
                Drop(kept[first], DropReasons.SpoolBytes);
                total -= lengths[first];
                first++;
            }
        }

        _fileCount = kept.Count - first;
        _byteCount = total;
        _measured = true;
        RemoveStaleTemporaryFiles(now);
    }

    private void RemoveStaleTemporaryFiles(DateTimeOffset now)
    {
        try
        {
            foreach (var temp in _files.ListFiles(_directory, TempPattern))
            {
                if (_files.LastWriteTime(temp) is { } written && now - written > StaleTempAge)
                {
                    TryDelete(temp);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next trim.
        }
    }

    private long Length(string path)
    {
        try
        {
            return _files.FileLength(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
