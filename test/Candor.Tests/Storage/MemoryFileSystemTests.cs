using System.Text;
using Candor.Storage;
using Candor.Tests.Support;
using CsCheck;

namespace Candor.Tests.Storage;

/// <summary>
/// The in-memory file system a tool's tests run on answers as the disk does: the same operations, in any order,
/// give the same results and the same failures on both.
/// </summary>
public sealed class MemoryFileSystemTests
{
    private const int Operations = 12;

    [Fact]
    public void AnySequenceOfOperations_GivesTheSameResultsAsTheDisk()
    {
        var bytes = Gen.Char["ab\n"].Array[0, 6].Select(chars => Encoding.ASCII.GetBytes(chars));
        var steps = Gen.Select(Gen.Int[0, Operations - 1], Gen.Int[0, 2], Gen.Int[0, 2], bytes).Array[1, 16];
        steps.Sample(sequence =>
        {
            using var temp = new TempFolder();
            var memory = new MemoryFileSystem(TimeProvider.System);
            memory.CreatePrivateDirectory(temp.Path);

            var onDisk = Run(PhysicalFileSystem.Instance, temp.Path, sequence);
            var inMemory = Run(memory, temp.Path, sequence);

            Assert.Equal(onDisk, inMemory);
        });
    }

    [Fact]
    public void TryLock_IsExclusiveUntilReleased()
    {
        var memory = new MemoryFileSystem(TimeProvider.System);
        var folder = Path.Combine(Path.GetTempPath(), "candor-memory");
        memory.CreatePrivateDirectory(folder);
        var path = Path.Combine(folder, "x.lock");

        var first = memory.TryLock(path);
        Assert.NotNull(first);
        Assert.Null(memory.TryLock(path));

        first.Dispose();
        using var second = memory.TryLock(path);
        Assert.NotNull(second);
    }

    [Fact]
    public void SetAside_MovesTheFileBesideItself_AndKeepsOnlyTheNewestCopies()
    {
        var memory = new MemoryFileSystem(TimeProvider.System);
        var folder = Path.Combine(Path.GetTempPath(), "candor-memory");
        memory.CreatePrivateDirectory(folder);
        var path = Path.Combine(folder, "settings.json");

        for (var i = 0; i < SetAsideName.Copies + 2; i++)
        {
            memory.WriteAtomic(path, [(byte)'{', (byte)'}'], durable: false);
            var aside = memory.SetAside(path);

            Assert.NotNull(aside);
            Assert.Equal(PathKind.Missing, memory.Kind(path));
            Assert.Equal("{}", Encoding.ASCII.GetString(memory.ReadAllBytesOrNull(aside)!));
        }

        Assert.Equal(SetAsideName.Copies, memory.ListFiles(folder, SetAsideName.Pattern("settings.json")).Count);
        Assert.Null(memory.SetAside(path));
    }

    [Fact]
    public void SetAside_ManyWithinOneMillisecond_TheCopyJustMadeIsAlwaysKept()
    {
        // A stopped clock: every copy has the same time, and only the random suffix orders them.
        var memory = new MemoryFileSystem(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero)));
        var folder = Path.Combine(Path.GetTempPath(), "candor-memory");
        memory.CreatePrivateDirectory(folder);
        var path = Path.Combine(folder, "identity.json");

        for (var i = 0; i < 50; i++)
        {
            memory.WriteAtomic(path, [(byte)'{', (byte)'}'], durable: false);
            var aside = memory.SetAside(path);

            Assert.NotNull(memory.ReadAllBytesOrNull(aside!));
            Assert.True(memory.ListFiles(folder, SetAsideName.Pattern("identity.json")).Count <= SetAsideName.Copies);
        }
    }

    [Fact]
    public void SetAside_OnDisk_ManyWithinOneMillisecond_TheCopyJustMadeIsAlwaysKept()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "identity.json");
        for (var i = 0; i < 50; i++)
        {
            File.WriteAllText(path, "{}");
            var aside = PhysicalFileSystem.Instance.SetAside(path);

            Assert.True(File.Exists(aside));
            Assert.True(Directory.GetFiles(folder.Path, SetAsideName.Pattern("identity.json")).Length <= SetAsideName.Copies);
        }
    }

    // Each step's outcome as text: a value, or the kind of failure.
    private static List<string> Run(IFileSystem files, string root, (int Operation, int A, int B, byte[] Bytes)[] sequence)
    {
        var folder = Path.Combine(root, "d0");
        string[] names = [Path.Combine(root, "f0"), Path.Combine(root, "f1"), Path.Combine(folder, "f2")];
        var seen = new List<string>();
        foreach (var (operation, a, b, bytes) in sequence)
        {
            var file = names[a];
            var other = names[a == b ? (b + 1) % names.Length : b];
            seen.Add(operation + ": " + Outcome(() => operation switch
            {
                0 => Done(() => files.WriteAtomic(file, bytes, durable: false)),
                1 => Done(() => files.AppendLines(file, bytes)),
                2 => Done(() => files.DeleteFile(file)),
                3 => Done(() => files.Move(file, other)),
                4 => Done(() => files.CreatePrivateDirectory(folder)),
                5 => Done(() => files.DeleteDirectory(folder)),
                6 => files.ReadAllBytesOrNull(file) is { } read ? Convert.ToHexString(read) : "null",
                7 => files.ReadFile(file, 4) is var contents ? $"{contents.State} {Convert.ToHexString(contents.Bytes ?? [])}" : "",
                8 => $"{files.Kind(file)} {files.Kind(folder)}",
                9 => string.Join(",", files.ListFiles(root, "*").Concat(files.ListFiles(folder, "f*")).Select(Path.GetFileName).Order(StringComparer.Ordinal)),
                10 => files.FileLength(file).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => files.FileExists(file).ToString(),
            }));
        }

        return seen;
    }

    private static string Done(Action action)
    {
        action();
        return "done";
    }

    private static string Outcome(Func<string> step)
    {
        try
        {
            return step();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "fails";
        }
    }
}
