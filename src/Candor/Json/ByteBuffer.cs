using System.Buffers;

namespace Candor.Json;

/// <summary>
/// A growable byte buffer for <see cref="System.Text.Json.Utf8JsonWriter"/>, as <see cref="ArrayBufferWriter{T}"/>
/// is, but not generic: its code is precompiled with Candor's, where <c>ArrayBufferWriter&lt;byte&gt;</c> is compiled
/// at run time in every run that records an event.
/// </summary>
internal sealed class ByteBuffer(int initialCapacity = 256) : IBufferWriter<byte>
{
    private byte[] _bytes = new byte[Math.Max(16, initialCapacity)];
    private int _written;

    public ReadOnlyMemory<byte> WrittenMemory => _bytes.AsMemory(0, _written);

    public ReadOnlySpan<byte> WrittenSpan => _bytes.AsSpan(0, _written);

    public void Clear() => _written = 0;

    /// <summary>
    /// Sets how many bytes count as written, keeping whatever the buffer holds below it: a writer that keeps a part in
    /// place across uses (the event stamp) writes only after it.
    /// </summary>
    public void SetLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > _written)
        {
            Reserve(length - _written);
        }

        _written = length;
    }

    /// <summary>The written bytes from <paramref name="start"/> on.</summary>
    public ReadOnlyMemory<byte> WrittenFrom(int start) => _bytes.AsMemory(start, _written - start);

    /// <summary>Room already written, to be written again in place: <paramref name="length"/> bytes at <paramref name="start"/>.</summary>
    public Span<byte> WrittenSlice(int start, int length) => _bytes.AsSpan(0, _written).Slice(start, length);

    /// <summary>Appends <paramref name="bytes"/>.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _written += bytes.Length;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _bytes.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _bytes.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _bytes.AsSpan(_written);
    }

    private void Reserve(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(needed, checked(_bytes.Length * 2)));
        }
    }
}
