using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Storage;

public sealed class PhysicalFileSystemTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("absent.json")]
    [InlineData("missing-folder/absent.json")]
    [InlineData("a-file/absent.json")]
    public void ReadAllBytesOrNull_NoSuchFile_IsNull(string relative)
    {
        File.WriteAllText(_temp.Combine("a-file"), "a file where a folder could be");

        Assert.Null(PhysicalFileSystem.Instance.ReadAllBytesOrNull(_temp.Combine(relative)));
    }

    [Fact]
    public void ReadAllBytesOrNull_AFolder_Throws()
    {
        // A folder where a file should be is a broken home, not an absent file; callers decide what that means.
        Directory.CreateDirectory(_temp.Combine("settings.json"));

        Assert.Throws<UnauthorizedAccessException>(() => PhysicalFileSystem.Instance.ReadAllBytesOrNull(_temp.Combine("settings.json")));
    }

    [Fact]
    public void ReadAllBytesOrNull_File_IsItsBytes()
    {
        File.WriteAllText(_temp.Combine("settings.json"), "{}");

        Assert.Equal("{}"u8.ToArray(), PhysicalFileSystem.Instance.ReadAllBytesOrNull(_temp.Combine("settings.json")));
    }

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
