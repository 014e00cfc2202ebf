namespace Candor.Collector.Storage.DayRollups;

/// <summary>
/// A set of install numbers as a bitset. They are small, dense integers (SQLite: the installs table's row IDs;
/// PostgreSQL: install_numbers), so a set of every install of a busy product is a few kilobytes, and adding is a
/// bit operation: counting distinct installs over hundreds of thousands of rollup rows costs less than reading the
/// rows.
/// <para>
/// Beside the count it keeps a <see cref="Fingerprint"/> of the set, which seeds the noise of every figure that
/// counts these installs (see <c>FigureNoise</c>): the same installs always give the same fingerprint, and sets that
/// differ in a single install give unrelated ones.
/// </para>
/// </summary>
internal sealed class InstallSet
{
    private ulong[] _words = new ulong[16];

    public int Count { get; private set; }

    /// <summary>The XOR of <see cref="Mix"/> of every install in the set: independent of the order installs were added in.</summary>
    public long Fingerprint { get; private set; }

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
            Fingerprint ^= Mix(install);
        }
    }

    /// <summary>
    /// A 64-bit hash of one install ID (SplitMix64's finaliser): every bit of the ID moves about half the bits of
    /// the hash, so no two small sets of IDs XOR to the same fingerprint except by a 2^-64 chance. It needs no key:
    /// the fingerprint only ever enters a keyed hash.
    /// </summary>
    public static long Mix(long install)
    {
        var z = (ulong)install + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)(z ^ (z >> 31));
    }
}
