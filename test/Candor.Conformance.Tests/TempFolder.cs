namespace Candor.Conformance.Tests;

/// <summary>The temporary folders the tests make.</summary>
internal static class TempFolder
{
    /// <summary>
    /// Deletes <paramref name="folder"/> and what it holds. A detached uploader that a test's tool started may still
    /// be writing in it, and a leftover temporary folder is harmless, so a failure is ignored.
    /// </summary>
    public static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
