using Candor.Storage;
using Candor.Tests.Support;
using CsCheck;

namespace Candor.Tests.Storage;

public sealed class PosixCreateTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void IsSupported_OnLinux_AndNowhereElse() =>
        Assert.Equal(OperatingSystem.IsLinux(), PosixCreate.IsSupported);

    [Fact]
    public void WriteNew_AnyContents_AreReadBackByteForByte_InAFileOnlyItsOwnerMayRead()
    {
        if (!PosixCreate.IsSupported)
        {
            return;
        }

        // Empty, small and past one write's worth (a pipe's 64 KiB); durable or not.
        var contents = Gen.OneOf(Gen.Byte.Array[0, 300], Gen.Byte.Array[60_000, 200_000]);
        var sample = 0;
        Gen.Select(contents, Gen.Bool).Sample((bytes, durable) =>
        {
            var path = Path.Combine(_temp.Path, $"file-{Interlocked.Increment(ref sample)}.tmp");
            PosixCreate.WriteNew(path, bytes, durable, OwnerOnly);
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }, iter: 40);

        foreach (var path in Directory.GetFiles(_temp.Path))
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void WriteNew_WhereAFileIsAlready_FailsAndLeavesItAsItWas()
    {
        if (!PosixCreate.IsSupported)
        {
            return;
        }

        var path = Path.Combine(_temp.Path, "taken");
        File.WriteAllText(path, "kept");

        var error = Assert.Throws<IOException>(() => PosixCreate.WriteNew(path, "new"u8, durable: false, OwnerOnly));

        Assert.Equal(17, error.HResult); // EEXIST
        Assert.Equal("kept", File.ReadAllText(path));
    }

    [Fact]
    public void WriteNew_InAMissingFolder_SaysTheFolderIsMissing()
    {
        if (!PosixCreate.IsSupported)
        {
            return;
        }

        var path = Path.Combine(_temp.Path, "missing", "file");

        Assert.Throws<DirectoryNotFoundException>(() => PosixCreate.WriteNew(path, "x"u8, durable: true, OwnerOnly));
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public void WriteAll_ToAFullDevice_FailsWithTheErrorNumberTheSpoolTellsAFullDiskBy()
    {
        if (!PosixCreate.IsSupported)
        {
            return;
        }

        // /dev/full answers every write with ENOSPC, as a full disk does.
        using var full = File.OpenHandle("/dev/full", FileMode.Open, FileAccess.Write);

        var error = Assert.Throws<IOException>(() => PosixCreate.WriteAll(full, "event"u8, "/dev/full"));

        Assert.Equal(28, error.HResult);
        Assert.Contains("/dev/full", error.Message, StringComparison.Ordinal);
    }
}
