using Candor.Storage;
using Candor.Tests.Support;
using CsCheck;

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

        Assert.Throws<IOException>(() => PhysicalFileSystem.Instance.ReadAllBytesOrNull(_temp.Combine("settings.json")));
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

    // The rename goes through the C library with the path in UTF-8: long names (a spool file's is over 80
    // characters) and names that are not ASCII must land where .NET would put them.
    [Theory]
    [InlineData("20261207154512345-0123456789abcdef0123456789abcdef-with-a-name-long-enough-to-pass-the-stack-buffer.json")]
    [InlineData("réglages-設定-\U0001F600.json")]
    public void WriteAtomic_LongOrNonAsciiName_ReplacesTheFileItNames(string name)
    {
        var path = _temp.Combine(name);
        File.WriteAllText(path, "old");

        PhysicalFileSystem.Instance.WriteAtomic(path, "new"u8, durable: false);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([name], _temp.Entries());
    }

    [Fact]
    public void WriteAtomic_AFolderInTheFilesPlace_ThrowsAsDotnetDoes_AndLeavesNoTemporaryFile()
    {
        // rename() refuses to put a file over a folder; the write then moves as .NET does, which says why.
        var path = _temp.Combine("state.json");
        Directory.CreateDirectory(path);

        Assert.ThrowsAny<IOException>(() => PhysicalFileSystem.Instance.WriteAtomic(path, "new"u8, durable: false));
        Assert.Equal(["state.json"], _temp.Entries());
        Assert.True(Directory.Exists(path));
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

    [Fact]
    public void ReadFile_NamedPipe_IsNotAFileAndDoesNotWaitForAWriter()
    {
        var path = _temp.Combine("settings.json");
        Fifo.Make(path);

        var contents = Bounded.Run(() => PhysicalFileSystem.Instance.ReadFile(path, 1024), "reading a FIFO");

        Assert.Equal(FileState.NotAFile, contents.State);
        Assert.Contains("named pipe", contents.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadAllBytesOrNull_NamedPipe_ThrowsInsteadOfWaiting()
    {
        var path = _temp.Combine("policy.json");
        Fifo.Make(path);

        var thrown = Bounded.Run(() => Record.Exception(() => PhysicalFileSystem.Instance.ReadAllBytesOrNull(path)), "reading a FIFO");

        Assert.IsType<IOException>(thrown);
    }

    [Fact]
    public void ReadFile_LinkThatLoops_IsNotAFile()
    {
        File.CreateSymbolicLink(_temp.Combine("a"), _temp.Combine("b"));
        File.CreateSymbolicLink(_temp.Combine("b"), _temp.Combine("a"));

        Assert.Equal(FileState.NotAFile, PhysicalFileSystem.Instance.ReadFile(_temp.Combine("a"), 1024).State);
        Assert.Equal(PathKind.Other, PhysicalFileSystem.Instance.Kind(_temp.Combine("a")));
    }

    [Fact]
    public void ReadFile_Folder_IsNotAFile()
    {
        Directory.CreateDirectory(_temp.Combine("identity.json"));

        var contents = PhysicalFileSystem.Instance.ReadFile(_temp.Combine("identity.json"), 1024);

        Assert.Equal(FileState.NotAFile, contents.State);
        Assert.Equal("a folder, not a file", contents.Problem);
    }

    [Theory]
    [InlineData(10, true)]
    [InlineData(11, false)]
    [InlineData(100_000, false)]
    public void ReadFile_LargerThanAllowed_IsTooLarge(int length, bool read)
    {
        File.WriteAllBytes(_temp.Combine("delivery.json"), new byte[length]);

        Assert.Equal(read ? FileState.Read : FileState.TooLarge, PhysicalFileSystem.Instance.ReadFile(_temp.Combine("delivery.json"), 10).State);
    }

    [Fact]
    public void ReadFile_AnyContentsAndBound_AreReadByteForByte_OrTooLarge_ExactlyWhenPastTheBound()
    {
        // Around the first buffer (4 KiB) and its doublings, with bounds on both sides of the length.
        var sample = 0;
        Gen.Select(Gen.Byte.Array[0, 20_000], Gen.Int[0, 20_000]).Sample((bytes, bound) =>
        {
            var path = _temp.Combine($"file-{Interlocked.Increment(ref sample)}");
            File.WriteAllBytes(path, bytes);

            var contents = PhysicalFileSystem.Instance.ReadFile(path, bound);

            Assert.Equal(bytes.Length > bound ? FileState.TooLarge : FileState.Read, contents.State);
            if (contents.State == FileState.Read)
            {
                Assert.Equal(bytes, contents.Bytes);
            }
        }, iter: 200);
    }

    [Fact]
    public void ReadFile_DeviceThatNeverEnds_IsTooLargeNotReadForever()
    {
        if (!File.Exists("/dev/zero"))
        {
            return;
        }

        File.CreateSymbolicLink(_temp.Combine("settings.json"), "/dev/zero");

        var contents = Bounded.Run(() => PhysicalFileSystem.Instance.ReadFile(_temp.Combine("settings.json"), 4096), "reading /dev/zero");

        Assert.Equal(FileState.TooLarge, contents.State);
    }

    [Fact]
    public void ReadFile_UnderProc_ReadsPastTheLengthTheFileSystemReports()
    {
        if (!File.Exists("/proc/self/status"))
        {
            return;
        }

        var contents = PhysicalFileSystem.Instance.ReadFile("/proc/self/status", 1024 * 1024);

        Assert.Equal(FileState.Read, contents.State);
        Assert.StartsWith("Name:", System.Text.Encoding.UTF8.GetString(contents.Bytes!), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFile_UnderProc_PastTheFirstBuffer_KeepsEveryReadInItsPlace()
    {
        // A /proc file reports no length, so it is read in several reads into a growing buffer; this process's map of
        // its memory is longer than the first buffer (4 KiB), and every line of it has one form.
        if (!File.Exists("/proc/self/maps"))
        {
            return;
        }

        var contents = PhysicalFileSystem.Instance.ReadFile("/proc/self/maps", 16 * 1024 * 1024);

        Assert.Equal(FileState.Read, contents.State);
        Assert.True(contents.Bytes!.Length > 4096, $"only {contents.Bytes.Length} bytes");
        var lines = System.Text.Encoding.ASCII.GetString(contents.Bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Matches("^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] ", line));
    }

    [Theory]
    [InlineData("file")]
    [InlineData("folder")]
    [InlineData("fifo")]
    [InlineData("loop")]
    public void SetAside_AnythingInAFilesPlace_IsRenamedBesideItAndLeavesThePlaceFree(string kind)
    {
        var path = _temp.Combine("settings.json");
        Make(kind, path);

        var aside = PhysicalFileSystem.Instance.SetAside(path);

        Assert.NotNull(aside);
        Assert.False(Path.Exists(path) || new FileInfo(path).LinkTarget is not null);
        Assert.True(SetAsideName.TryParse(aside, out var original, out _));
        Assert.Equal("settings.json", original);
        Assert.Equal(_temp.Path, Path.GetDirectoryName(aside));
    }

    [Fact]
    public void SetAside_Nothing_IsNull()
    {
        Assert.Null(PhysicalFileSystem.Instance.SetAside(_temp.Combine("absent.json")));
    }

    [Fact]
    public void SetAside_ManyTimes_KeepsOnlyTheNewestCopies()
    {
        var path = _temp.Combine("settings.json");
        var kept = new List<string>();
        for (var i = 0; i < SetAsideName.Copies + 3; i++)
        {
            File.WriteAllText(path, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            kept.Add(PhysicalFileSystem.Instance.SetAside(path)!);
            Thread.Sleep(2);
        }

        var copies = Directory.GetFileSystemEntries(_temp.Path, SetAsideName.Pattern("settings.json")).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(SetAsideName.Copies, copies.Length);
        Assert.Equal(kept.TakeLast(SetAsideName.Copies), copies);
        Assert.Equal((SetAsideName.Copies + 2).ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(copies[^1]));
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("fifo")]
    public void TryLock_SomethingNotAFileInTheLocksPlace_SetsItAsideAndLocks(string kind)
    {
        var path = _temp.Combine("upload.lock");
        Make(kind, path);

        using var held = Bounded.Run(() => PhysicalFileSystem.Instance.TryLock(path), "taking a lock");

        Assert.NotNull(held);
        Assert.Equal(PathKind.File, PhysicalFileSystem.Instance.Kind(path));
        Assert.Single(Directory.GetFileSystemEntries(_temp.Path, SetAsideName.Pattern("upload.lock")));
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("fifo")]
    public void Append_SomethingNotAFileInTheLogsPlace_SetsItAsideAndAppends(string kind)
    {
        var path = _temp.Combine("local.jsonl");
        Make(kind, path);

        Bounded.Run(() => PhysicalFileSystem.Instance.AppendLines(path, "{}\n"u8), "appending");

        Assert.Equal("{}\n", File.ReadAllText(path));
        Assert.Single(Directory.GetFileSystemEntries(_temp.Path, SetAsideName.Pattern("local.jsonl")));
    }

    [Theory]
    [InlineData(null, "{}\n")]
    [InlineData("", "{}\n")]
    [InlineData("{\"a\":1}\n", "{\"a\":1}\n{}\n")]
    [InlineData("{\"a\":", "{\"a\":\n{}\n")]
    public void AppendLines_StartsOnALineOfItsOwn_WithoutAnEmptyLine(string? before, string after)
    {
        var path = _temp.Combine("sent.jsonl");
        if (before is not null)
        {
            File.WriteAllText(path, before);
        }

        PhysicalFileSystem.Instance.AppendLines(path, "{}\n"u8);

        Assert.Equal(after, File.ReadAllText(path));
    }

    private static void Make(string kind, string path)
    {
        if (kind == "file")
        {
            File.WriteAllText(path, "{");
        }
        else
        {
            BrokenBytes.MakeNotAFile(kind, path);
        }
    }
}
