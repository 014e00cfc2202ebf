using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Storage;

public sealed class PhysicalFileSystemTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WriteAtomic_ExistingFile_ReplacesItsContentsAndLeavesNoTemporaryFile(bool durable)
    {
        var path = _temp.Combine("state.json");
        File.WriteAllText(path, "old contents, longer than the new ones");

        PhysicalFileSystem.Instance.WriteAtomic(path, "new"u8, durable);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["state.json"], _temp.Entries());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WriteAtomic_FolderMissing_ThrowsAndLeavesNothing(bool durable)
    {
        var path = _temp.Combine("missing", "state.json");

        Assert.ThrowsAny<IOException>(() => PhysicalFileSystem.Instance.WriteAtomic(path, "new"u8, durable));

        Assert.Empty(_temp.Entries());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WriteAtomic_OnUnix_FileIsOwnerOnly(bool durable)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = _temp.Combine("state.json");

        PhysicalFileSystem.Instance.WriteAtomic(path, "new"u8, durable);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }
}
