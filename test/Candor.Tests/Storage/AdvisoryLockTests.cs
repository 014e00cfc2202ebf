using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Storage;

/// <summary>
/// <see cref="PhysicalFileSystem.TryLock"/>: one holder at a time, against locks .NET takes as well (other Candor
/// versions open the lock file with <see cref="FileShare.None"/>), and a held lock reported without an exception.
/// </summary>
public sealed class AdvisoryLockTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void HeldByAnotherOpenFile_IsNull_WithoutAnException()
    {
        var path = _temp.Combine("upload.lock");
        using var other = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var thread = Environment.CurrentManagedThreadId;
        var thrown = new List<Exception>();
        void Record(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                thrown.Add(e.Exception);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Record;
        IDisposable? held;
        try
        {
            held = PhysicalFileSystem.Instance.TryLock(path);
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Record;
        }

        Assert.Null(held);
        if (AdvisoryLock.IsSupported)
        {
            Assert.Empty(thrown);
        }
    }

    [Fact]
    public void Held_KeepsOutAnotherHolder_AndTheLockDotNetTakes()
    {
        var path = _temp.Combine("upload.lock");

        using (var held = PhysicalFileSystem.Instance.TryLock(path))
        {
            Assert.NotNull(held);
            Assert.Null(PhysicalFileSystem.Instance.TryLock(path));
            Assert.Throws<IOException>(() => new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None));
        }

        using var again = PhysicalFileSystem.Instance.TryLock(path);
        Assert.NotNull(again);
    }

    [Fact]
    public void MissingFile_IsMadeOwnerOnly_AndLocked()
    {
        var path = _temp.Combine("settings.lock");

        using var held = PhysicalFileSystem.Instance.TryLock(path);

        Assert.NotNull(held);
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }
}
