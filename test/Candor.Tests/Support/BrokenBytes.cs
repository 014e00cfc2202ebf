using System.Text;

namespace Candor.Tests.Support;

/// <summary>
/// The ways a file of the Candor home can hold bytes that are not what Candor wrote: text that is not UTF-8, an
/// escape that is not valid UTF-16 (a lone surrogate), and JSON cut short, each inside a member Candor reads.
/// </summary>
internal static class BrokenBytes
{
    public const string InvalidUtf8 = "invalid-utf8";
    public const string LoneSurrogate = "lone-surrogate";
    public const string Truncated = "truncated";

    /// <summary><c>{"member": value}</c> broken the way <paramref name="fault"/> says; <paramref name="value"/> is the string a good file holds.</summary>
    public static byte[] For(string fault, string member, string value) => fault switch
    {
        InvalidUtf8 => [.. Encoding.UTF8.GetBytes($"{{\"{member}\": \""), 0xC3, 0x28, 0xFF, .. Encoding.UTF8.GetBytes(value + "\"}")],
        LoneSurrogate => Encoding.UTF8.GetBytes($"{{\"{member}\": \"\\ud800{value}\"}}"),
        Truncated => Encoding.UTF8.GetBytes($"{{\"{member}\": \"{value}"),
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, null),
    };

    /// <summary>What stands in a file's place instead of a file.</summary>
    public static void MakeNotAFile(string kind, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        switch (kind)
        {
            case "folder":
                Directory.CreateDirectory(Path.Combine(path, "inside"));
                break;
            case "fifo":
                Fifo.Make(path);
                break;
            case "loop":
                File.CreateSymbolicLink(path, path);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>The set-aside copies of <paramref name="path"/>.</summary>
    public static string[] SetAsideCopies(string path) =>
        Directory.Exists(Path.GetDirectoryName(path))
            ? Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".corrupt-*")
            : [];
}
