using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Candor.Json;

/// <summary>
/// JSON values appended to a <see cref="ByteBuffer"/> as the bytes <see cref="Utf8JsonWriter"/> writes for them with
/// <see cref="AsciiJsonEncoder"/>, without a writer's calls and state per value: the event writer's hot path.
/// </summary>
/// <remarks>
/// Text that needs no escaping (printable ASCII but <c>"</c> and <c>\</c>, nearly all a tool sends) is copied as it
/// is; any other text goes through a real <see cref="Utf8JsonWriter"/> (<see cref="JsonBytes"/>' instance), so escaping
/// has one definition. Numbers are formatted by the same formatter the writer calls, with integers, the common case
/// (durations, counts), taken by the integer formatter, which writes the same digits faster.
/// </remarks>
internal sealed class JsonBytes : IDisposable
{
    // Below this, a whole double is written by the shortest round-trip format without an exponent.
    private const double PlainIntegerLimit = 1e15;

    // Made for the first text that needs escaping: most runs write none, and a run that makes none never loads
    // System.Text.Json or System.Text.Encodings.Web (the escaper is a class of its own, so no method that runs
    // for plain text names the writer).
    private Escaper? _escaper;

    /// <summary><paramref name="text"/> as a quoted JSON string, escaped as the SDK's writers escape it.</summary>
    /// <remarks>
    /// Written by a writer, not made with <see cref="JsonEncodedText"/>: that one runs the JSON reader's static
    /// constructor, whose search tables the runtime compiles on the spot (see <see cref="JsonScanner"/>), milliseconds
    /// of the first event of every run.
    /// </remarks>
    public static byte[] Quoted(string text)
    {
        using var bytes = new JsonBytes();
        var buffer = new ByteBuffer(text.Length + 8);
        bytes.AppendString(buffer, text);
        return buffer.WrittenSpan.ToArray();
    }

    public void Dispose() => _escaper?.Dispose();

    /// <summary>Appends <paramref name="text"/> as a quoted JSON string.</summary>
    /// <exception cref="ArgumentException">The text is not valid UTF-16 (a lone surrogate), as the writer throws.</exception>
    public void AppendString(ByteBuffer buffer, string text)
    {
        if (NeedsEscaping(text))
        {
            (_escaper ??= Escaper.Create()).Append(buffer, text);
            return;
        }

        var span = buffer.GetSpan(text.Length + 2);
        span[0] = (byte)'"';
        Encoding.ASCII.GetBytes(text, span[1..]);
        span[text.Length + 1] = (byte)'"';
        buffer.Advance(text.Length + 2);
    }

    /// <summary>Appends a finite number as the writer writes it.</summary>
    /// <exception cref="ArgumentException">The number is not finite, which JSON cannot carry (the writer throws too).</exception>
    public static void AppendNumber(ByteBuffer buffer, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException("JSON cannot carry a number that is not finite.", nameof(value));
        }

        var span = buffer.GetSpan(32);
        int written;

        // -0 is written "-0" by the double formatter, and would lose its sign as an integer.
        var formatted = Math.Abs(value) < PlainIntegerLimit && value == Math.Floor(value) && !(value == 0 && double.IsNegative(value))
            ? Utf8Formatter.TryFormat((long)value, span, out written)
            : Utf8Formatter.TryFormat(value, span, out written);
        if (!formatted)
        {
            throw new InvalidOperationException("A number did not fit 32 bytes.");
        }

        buffer.Advance(written);
    }

    private sealed class Escaper : IDisposable
    {
        private readonly ByteBuffer _escaped = new(256);
        private readonly Utf8JsonWriter _writer;

        private Escaper() => _writer = new Utf8JsonWriter(_escaped, new JsonWriterOptions { SkipValidation = true, Encoder = AsciiJsonEncoder.Instance });

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static Escaper Create() => new();

        public void Append(ByteBuffer buffer, string text)
        {
            _escaped.Clear();
            _writer.Reset(_escaped);
            _writer.WriteStringValue(text);
            _writer.Flush();
            buffer.Append(_escaped.WrittenSpan);
        }

        public void Dispose() => _writer.Dispose();
    }

    private static bool NeedsEscaping(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~' or '"' or '\\')
            {
                return true;
            }
        }

        return false;
    }
}
