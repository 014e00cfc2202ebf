using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Candor.Storage;
using Microsoft.Win32.SafeHandles;

namespace Candor.Tracking;

/// <summary>
/// Random event IDs (version 4 GUIDs, as <see cref="Guid.NewGuid"/> makes them: 122 random bits) drawn from a
/// cryptographic generator a block at a time. <see cref="Guid.NewGuid"/> asks the kernel for 16 bytes per ID, a
/// system call that took more of the writer's time than checking and serialising the event together; a block of
/// <see cref="IdsPerBlock"/> IDs costs one call.
/// </summary>
/// <remarks>
/// <para>
/// Two generators, both cryptographic, so an ID is as unpredictable from either and never derived from another ID.
/// A run starts with the kernel's (<c>/dev/urandom</c> on Linux) rather than <see cref="RandomNumberGenerator"/>, which
/// is OpenSSL's there: loading it (two libraries and its configuration) cost a short run more CPU than all the rest
/// of its recording. The kernel's generator, though, is ChaCha20 computed in the kernel without vector instructions:
/// in a long run its 16 bytes per event cost about 26 ns of CPU, a quarter of everything the SDK did per event, where
/// OpenSSL's (AES-256 in counter mode, NIST SP 800-90A, seeded and reseeded from the kernel; the generator .NET's
/// cryptography uses on Linux) costs 3 to 5. So once the run has proved long (<see cref="UsePlatformGenerator"/>,
/// which the pipeline calls when the sinks start their long run) the blocks come from OpenSSL, <see cref="PlatformIdsPerBlock"/>
/// IDs at a time. Elsewhere the platform's generator serves from the start.
/// </para>
/// <para>
/// The kernel's generator is opened once and kept until <see cref="Dispose"/>: opening it for every block cost four
/// system calls and the file's objects every 256 events, which made the writer allocate per event on average. Not
/// thread-safe: one reader of the queue at a time uses it, except <see cref="UsePlatformGenerator"/>, which any
/// thread may call.
/// </para>
/// </remarks>
internal sealed class EventIds : IDisposable
{
    internal const int IdsPerBlock = 256;

    /// <summary>IDs per block once the platform's generator serves: its cost per call is then under a nanosecond an ID.</summary>
    internal const int PlatformIdsPerBlock = 1024;

    private const int IdBytes = 16;

    private byte[] _block = new byte[IdsPerBlock * IdBytes];
    private int _next = IdsPerBlock;
    private int _idsInBlock = IdsPerBlock;

    // Set by UsePlatformGenerator (from any thread), taken by the next block.
    private volatile byte[]? _platformBlock;
    private bool _platform;

    // The kernel's generator once opened; null before the first block, or where it cannot be opened.
    private SafeFileHandle? _generator;
    private bool _generatorTried;

    /// <summary>Whether the blocks come from the platform's generator (OpenSSL's on Linux) rather than the kernel's.</summary>
    internal bool UsesPlatformGenerator => _platform;

    public Guid Next()
    {
        if (_next == _idsInBlock)
        {
            Fill();
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

    /// <summary>
    /// The run has proved long: from the next block on, the IDs come from the platform's generator, which loads it
    /// (a few milliseconds of CPU, once) to spend less on every later event. Allocates its block here, once, so the
    /// writer's steady state allocates nothing. Any thread.
    /// </summary>
    public void UsePlatformGenerator() => _platformBlock ??= new byte[PlatformIdsPerBlock * IdBytes];

    public void Dispose()
    {
        _generator?.Dispose();
        _generator = null;
        _generatorTried = true;
    }

    private void Fill()
    {
        if (!_platform && _platformBlock is { } platformBlock)
        {
            // The kernel's block is all spent (and cleared); the larger one replaces it for good.
            _block = platformBlock;
            _idsInBlock = PlatformIdsPerBlock;
            _platform = true;

            // Not read again: its handle goes now rather than at the end of the run.
            Dispose();
        }

        if (_platform || !OperatingSystem.IsLinux() || !TryReadKernelGenerator(_block))
        {
            FillFromPlatform(_block);
        }
    }

    // Apart, so that compiling Fill does not load System.Security.Cryptography where the kernel's generator serves.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FillFromPlatform(byte[] block) => RandomNumberGenerator.Fill(block);

    // The same generator OpenSSL seeds from; where it cannot be opened (a sandbox without /dev), OpenSSL's is used.
    // Opened as the home's files are read (NonBlockingOpen): .NET's own open path, first used here in a short run,
    // cost the first event's writing a few tenths of a millisecond to a millisecond and a half more.
    private bool TryReadKernelGenerator(byte[] block)
    {
        try
        {
            if (!_generatorTried)
            {
                _generatorTried = true;
                _generator = NonBlockingOpen.IsSupported
                    ? NonBlockingOpen.TryOpen("/dev/urandom", out _)
                    : File.OpenHandle("/dev/urandom", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
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
