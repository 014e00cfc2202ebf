using Candor.Storage;

namespace Candor.Delivery;

/// <summary>The home's upload lock (<c>upload.lock</c>): one uploader at a time per Candor home, in process or detached.</summary>
internal static class UploadLock
{
    /// <summary>Takes the lock, or returns null when another uploader holds it or it cannot be taken. Never throws.</summary>
    public static IDisposable? TryTake(CandorHome home, IFileSystem files)
    {
        try
        {
            files.CreatePrivateDirectory(home.Root);
            return files.TryLock(home.UploadLock);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether an uploader holds the lock now; false when it is free or cannot be taken at all. Never throws.</summary>
    public static bool IsHeld(CandorHome home, IFileSystem files)
    {
        try
        {
            using var taken = TryTake(home, files);
            return taken is null && files.FileExists(home.UploadLock);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
