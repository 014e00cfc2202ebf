using System.Buffers;
using System.Text.Json;
using Candor.Json;
using Candor.Storage;

namespace Candor.Delivery;

/// <summary>
/// An append-only file of JSON lines with a size cap: past the cap the oldest lines are trimmed away in one
/// atomic rewrite, down to three quarters of the cap so that not every append rewrites the file. It holds no
/// blank line, so line-by-line JSON readers take it as it is; blank lines (older versions wrote them) are
/// skipped. Only the uploader appends (under the machine's upload lock); readers may read at any time because a
/// trim replaces the file atomically.
/// </summary>
internal sealed class JsonLinesLog
{
    private readonly string _path;
    private readonly bool _createsFolder;
    private readonly long _maxBytes;
    private readonly IFileSystem _files;

    /// <param name="path">The log file.</param>
    /// <param name="maxBytes">Past this size the oldest lines are trimmed.</param>
    /// <param name="files">The file system.</param>
    /// <param name="createsFolder">
    /// Whether an append creates the product's folder. Only a recording run's log does: the uploader's logs must not
    /// bring back a folder that an opt-out erased while it was sending.
    /// </param>
    public JsonLinesLog(string path, long maxBytes, IFileSystem files, bool createsFolder)
    {
        _createsFolder = createsFolder;
        _path = path;
        _maxBytes = maxBytes;
        _files = files;
    }

    /// <summary>Appends lines built by <paramref name="writeLines"/>, then trims. Throws on a file-system failure.</summary>
    public void Append(Action<LineWriter> writeLines)
    {
        var buffer = new ByteBuffer();
        writeLines(new LineWriter(buffer));
        if (_createsFolder)
        {
            _files.CreatePrivateDirectory(Path.GetDirectoryName(_path)!);
        }

        // Starts on a fresh line, so a line torn by a crash or a full disk never swallows the next.
        _files.AppendLines(_path, buffer.WrittenSpan);
        if (_files.FileLength(_path) > _maxBytes)
        {
            Trim();
        }
    }

    /// <summary>Every line that is a JSON object, oldest first; torn or foreign lines are skipped. Never throws for I/O.</summary>
    public IReadOnlyList<JsonDocument> ReadObjects()
    {
        byte[]? all;
        try
        {
            all = _files.ReadAllBytesOrNull(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        var objects = new List<JsonDocument>();
        var rest = all.AsMemory();
        while (!rest.IsEmpty)
        {
            var end = rest.Span.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 1)..];
            if (line.Span.Trim(" \r\t"u8).IsEmpty)
            {
                continue;
            }

            try
            {
                var document = JsonDocument.Parse(line);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    objects.Add(document);
                }
                else
                {
                    document.Dispose();
                }
            }
            catch (Exception e) when (JsonProblems.IsMalformed(e))
            {
                // A line torn by a crash, or bytes that are not text: the rest of the log is still good.
            }
        }

        return objects;
    }

    private void Trim()
    {
        var all = _files.ReadAllBytesOrNull(_path);
        if (all is null)
        {
            return;
        }

        var target = _maxBytes / 4 * 3;
        var cut = all.Length;

        // Walk back over whole lines while what is kept stays within the target.
        while (cut > 0)
        {
            var previous = all.AsSpan(0, cut - 1).LastIndexOf((byte)'\n') + 1;
            if (all.Length - previous > target)
            {
                break;
            }

            cut = previous;
        }

        _files.WriteAtomic(_path, all.AsSpan(cut), durable: true);
    }

    /// <summary>Writes one compact JSON object per line.</summary>
    internal readonly struct LineWriter
    {
        private readonly ByteBuffer _buffer;

        public LineWriter(ByteBuffer buffer)
        {
            _buffer = buffer;
        }

        public void WriteLine(Action<Utf8JsonWriter> writeObject)
        {
            using (var writer = new Utf8JsonWriter(_buffer, JsonValues.Compact))
            {
                writer.WriteStartObject();
                writeObject(writer);
                writer.WriteEndObject();
            }

            _buffer.Write("\n"u8);
        }
    }

    /// <summary>
    /// Writes an event's spooled JSON as a property value: verbatim when it is on one line, else re-written
    /// compactly (only whitespace between tokens can hold a line break) so the log stays one event per line.
    /// </summary>
    public static void WriteEvent(Utf8JsonWriter writer, string property, byte[] json)
    {
        writer.WritePropertyName(property);
        if (json.AsSpan().IndexOfAny((byte)'\n', (byte)'\r') < 0)
        {
            writer.WriteRawValue(json, skipInputValidation: true);
        }
        else
        {
            using var document = JsonDocument.Parse(json);
            document.WriteTo(writer);
        }
    }
}
