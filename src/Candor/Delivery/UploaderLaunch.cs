using System.Buffers.Binary;
using Candor.Storage;

namespace Candor.Delivery;

/// <summary>
/// Starts the detached uploader for a home unless one is already under way: holding <c>upload.lock</c>, or started
/// a moment ago and not yet holding it (<c>upload.starting</c>). Without the second check, sixteen runs that exit
/// together each started an uploader, since a new one takes a while to reach the lock: 43 processes for 48 runs.
/// </summary>
/// <remarks>
/// No request is left behind. A run writes its request before it looks; an uploader, once it has let go of the lock
/// for the last time, removes <c>upload.starting</c> and only then looks for requests again. So a run either sees the
/// lock held or the mark (and its request is seen by that uploader), or finds neither and starts one.
/// </remarks>
internal static class UploaderLaunch
{
    // Longer than a loaded machine takes to start a .NET process and reach the lock. If the process never gets there
    // (it crashed), the requests wait this long for the next run to start another.
    private static readonly TimeSpan StartingFor = TimeSpan.FromSeconds(5);

    /// <summary>Starts an uploader unless one is under way; returns whether one is now at work or on its way. Never throws.</summary>
    public static bool StartUnlessUnderWay(CandorHome home, IFileSystem files, TimeProvider time, IUploaderStarter starter, TimeSpan lifetime)
    {
        var now = time.GetUtcNow();
        // The mark first: one small read, where the lock costs a folder check, an open and a lock call.
        if (IsStarting(home, files, now) || UploadLock.IsHeld(home, files))
        {
            return true;
        }

        var marked = Mark(home, files, now);
        if (starter.TryStart(home, lifetime, waitForLock: false))
        {
            return true;
        }

        if (marked)
        {
            Unmark(home, files);
        }

        return false;
    }

    /// <summary>Removes the mark of a start: the uploader calls it once it has let go of the lock for good.</summary>
    public static void Unmark(CandorHome home, IFileSystem files)
    {
        try
        {
            files.DeleteFile(home.UploadStarting);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind, the mark only keeps runs from starting another uploader for a few seconds.
        }
    }

    // The mark holds the start's time from the injected clock (8 bytes), not the file's write time: tests run on a
    // fake clock, and a clock set back must not make a mark look young for long.
    private static bool IsStarting(CandorHome home, IFileSystem files, DateTimeOffset now)
    {
        try
        {
            if (files.ReadAllBytesOrNull(home.UploadStarting) is not { Length: 8 } bytes)
            {
                return false;
            }

            var age = now - new DateTimeOffset(Math.Clamp(BinaryPrimitives.ReadInt64LittleEndian(bytes), DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks), TimeSpan.Zero);
            return age >= TimeSpan.Zero && age < StartingFor;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool Mark(CandorHome home, IFileSystem files, DateTimeOffset now)
    {
        Span<byte> ticks = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(ticks, now.UtcTicks);
        try
        {
            files.WriteAtomic(home.UploadStarting, ticks, durable: false);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
