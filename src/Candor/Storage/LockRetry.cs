namespace Candor.Storage;

/// <summary>Takes a cross-process lock file, retrying for a short while when another process holds it.</summary>
internal static class LockRetry
{
    /// <summary>The default number of attempts: with <see cref="DefaultDelay"/>, about five seconds in all.</summary>
    public const int DefaultAttempts = 250;

    /// <summary>The default wait between attempts.</summary>
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>Takes the lock at <paramref name="path"/>, blocking between attempts.</summary>
    /// <exception cref="IOException">The lock stayed taken for every attempt, or the lock file cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The lock file cannot be created.</exception>
    public static IDisposable Acquire(IFileSystem files, string path, int attempts, TimeSpan delay)
    {
        for (var attempt = 1; ; attempt++)
        {
            var taken = files.TryLock(path);
            if (taken is not null)
            {
                return taken;
            }

            if (attempt >= attempts)
            {
                throw new IOException($"'{path}' stayed locked by another process");
            }

            if (delay > TimeSpan.Zero)
            {
                // A little jitter so processes that collided once do not retry in lockstep.
                Thread.Sleep(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 10)));
            }
        }
    }
}
