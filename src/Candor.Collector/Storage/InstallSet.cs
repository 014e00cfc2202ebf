namespace Candor.Collector.Storage;

/// <summary>
/// A set of install row IDs as a bitset. Install IDs are small, dense integers (the installs table's row IDs), so
/// a set of every install of a busy product is a few kilobytes, and adding is a bit operation: counting distinct
/// installs over hundreds of thousands of rollup rows costs less than reading the rows.
/// </summary>
internal sealed class InstallSet
{
    private ulong[] _words = new ulong[16];

    public int Count { get; private set; }

    public void Add(long install)
    {
        var word = (int)(install >> 6);
        if (word >= _words.Length)
        {
            Array.Resize(ref _words, Math.Max(word + 1, _words.Length * 2));
        }

        var bit = 1UL << (int)(install & 63);
        if ((_words[word] & bit) == 0)
        {
            _words[word] |= bit;
            Count++;
        }
    }
}
