using System.Text.Json;
using Candor.Json;

namespace Candor.Tests.Json;

public sealed class ByteBufferTests
{
    [Fact]
    public void JsonWriter_PastTheFirstCapacity_GrowsAndKeepsEveryByte()
    {
        var buffer = new ByteBuffer(16);
        using var writer = new Utf8JsonWriter(buffer);
        var text = new string('x', 5000);

        writer.WriteStartObject();
        writer.WriteString("long", text);
        writer.WriteEndObject();
        writer.Flush();

        Assert.Equal(text, JsonDocument.Parse(buffer.WrittenMemory).RootElement.GetProperty("long").GetString());
        Assert.Equal(buffer.WrittenMemory.Length, buffer.WrittenSpan.Length);
    }

    [Fact]
    public void Clear_StartsOverInTheSameArray()
    {
        var buffer = new ByteBuffer(16);
        buffer.GetSpan(3)[..3].Fill((byte)'a');
        buffer.Advance(3);

        buffer.Clear();
        buffer.GetSpan(1)[0] = (byte)'b';
        buffer.Advance(1);

        Assert.Equal("b"u8.ToArray(), buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Advance_PastWhatWasHandedOut_Throws()
    {
        var buffer = new ByteBuffer(16);
        var handedOut = buffer.GetSpan().Length;

        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(handedOut + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(-1));
    }
}
