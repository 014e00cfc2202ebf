using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Candor.Tracking;

/// <summary>
/// Random event IDs (version 4 GUIDs, as <see cref="Guid.NewGuid"/> makes them) drawn from the operating system's
/// cryptographic generator a block at a time. <see cref="Guid.NewGuid"/> asks the kernel for 16 bytes per ID, a
/// system call that took more of the writer's time than checking and serialising the event together; a block of
/// <see cref="IdsPerBlock"/> IDs costs one call. On Linux the block is read from the kernel's generator
/// (<c>/dev/urandom</c>) rather than through <see cref="RandomNumberGenerator"/>, which is OpenSSL's there: loading it
/// (two libraries and its configuration) cost a short run more CPU than all the rest of its recording. The generator
/// is opened once and kept until <see cref="Dispose"/>: opening it for every block cost four system calls and the
/// file's objects every 256 events, which made the writer allocate per event on average. Not thread-safe: one reader
/// of the queue at a time uses it.
/// </summary>
internal sealed class EventIds : IDisposable
{
    internal const int IdsPerBlock = 256;

    private const int IdBytes = 16;

    private readonly byte[] _block = new byte[IdsPerBlock * IdBytes];
    private int _next = IdsPerBlock;

    // The kernel's generator once opened; null before the first block, or where it cannot be opened.
    private SafeFileHandle? _generator;
    private bool _generatorTried;

    public Guid Next()
    {
        if (_next == IdsPerBlock)
        {
            Fill(_block);
            _next = 0;
        }

        var bytes = _block.AsSpan(_next++ * IdBytes, IdBytes);

        // The version (4, random) in the high nibble of the third group and the variant (10xx, RFC 9562) in the first
        // byte of the fourth, where Guid.NewGuid puts them; the third group is little-endian in this layout.
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var id = new Guid(bytes);

        // Spent bytes are not kept: an ID, once written, lives only in the event.
        bytes.Clear();
        return id;
    }

    public void Dispose()
    {
        _generator?.Dispose();
        _generator = null;
        _generatorTried = true;
    }

    private void Fill(byte[] block)
    {
        if (OperatingSystem.IsLinux() && TryReadKernelGenerator(block))
        {
            return;
        }

        FillFromPlatform(block);
    }

    // Apart, so that compiling Fill does not load System.Security.Cryptography where the kernel's generator serves.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FillFromPlatform(byte[] block) => RandomNumberGenerator.Fill(block);

    // The same generator OpenSSL seeds from; where it cannot be opened (a sandbox without /dev), OpenSSL's is used.
    private bool TryReadKernelGenerator(byte[] block)
    {
        try
        {
            if (!_generatorTried)
            {
                _generatorTried = true;
                _generator = File.OpenHandle("/dev/urandom", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            }

            if (_generator is null)
            {
                return false;
            }

            // A read of the generator may return less than asked when a signal arrives; the rest is read again.
            for (var filled = 0; filled < block.Length;)
            {
                var read = RandomAccess.Read(_generator, block.AsSpan(filled), fileOffset: 0);
                if (read <= 0)
                {
                    return false;
                }

                filled += read;
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }
}
