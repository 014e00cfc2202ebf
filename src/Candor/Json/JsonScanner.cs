using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;

namespace Candor.Json;

/// <summary>The kinds of token <see cref="JsonScanner"/> reads.</summary>
internal enum JsonToken : byte
{
    None,
    StartObject,
    EndObject,
    StartArray,
    EndArray,
    PropertyName,
    String,
    Number,
    True,
    False,
    Null,
}

/// <summary>
/// A forward-only reader of one JSON document (RFC 8259) in UTF-8, for the files every run of a tool reads: the
/// settings, the identity, the product record and the delivery state. It follows <c>Utf8JsonReader</c>'s model and
/// names, and refuses what it refuses: malformed JSON, invalid UTF-8 or a control character in a string, a bad
/// escape, nesting deeper than 64, anything after the root value; comments and trailing commas only when the file
/// is one people edit by hand. Failures are <c>JsonException</c>s, as the reader's are.
/// </summary>
/// <remarks>
/// Why not <c>Utf8JsonReader</c> itself: its first string builds the reader's search tables, whose vectorised
/// search code the runtime compiles on the spot on a machine with AVX2; with loading System.Text.Json, that was
/// 5–8 ms of CPU in every run that reads a Candor file, more than the rest of the read by far (docs/benchmarks.md,
/// "SDK: exit time"). This scanner walks the bytes one at a time, which for files of a few hundred bytes costs
/// microseconds. <c>JsonScannerTests</c> holds it to <c>Utf8JsonReader</c> on generated and broken documents. Writing
/// stays with <c>Utf8JsonWriter</c>: a run writes a file only when something changed.
/// </remarks>
internal ref partial struct JsonScanner
{
    private const int MaxDepth = 64;
    private readonly ReadOnlySpan<byte> _json;
    private readonly bool _handEdited;
    private ulong _objects; // one bit per open container, set for an object
    private int _position;
    private bool _afterValue; // a value ended in the open container: a comma or its end comes next
    private bool _afterName; // a property name and its colon were read: its value comes next
    private bool _rootDone;

    public JsonScanner(ReadOnlySpan<byte> json, bool handEdited = false)
    {
        _json = json;
        _handEdited = handEdited;
    }

    public JsonToken TokenType { get; private set; }

    /// <summary>How many containers are open after the current token.</summary>
    public int CurrentDepth { get; private set; }

    /// <summary>Where the current token starts (a string's opening quote).</summary>
    public int TokenStartIndex { get; private set; }

    /// <summary>How many bytes have been read: the end of the current token.</summary>
    public readonly int BytesConsumed => _position;

    /// <summary>The current token's bytes as written: a string's without quotes, escapes not undone.</summary>
    public ReadOnlySpan<byte> ValueSpan { get; private set; }

    /// <summary>Whether the current string holds escapes.</summary>
    public bool ValueIsEscaped { get; private set; }

    /// <summary>Moves to the next token; false at the end of the document, after the root value.</summary>
    /// <exception cref="System.Text.Json.JsonException">The JSON is malformed.</exception>
    public bool Read()
    {
        SkipSpace();
        if (_position == _json.Length)
        {
            return CurrentDepth == 0 && _rootDone ? false : throw Malformed("The JSON ends before its value is complete.");
        }

        if (_rootDone)
        {
            throw Malformed($"Unexpected '{(char)_json[_position]}' after the root value at byte {_position}.");
        }

        var b = _json[_position];
        if (_afterValue)
        {
            if (b == ',')
            {
                _position++;
                _afterValue = false;
                SkipSpace();
                if (_position == _json.Length)
                {
                    throw Malformed("The JSON ends after a comma.");
                }

                b = _json[_position];
                if ((b is (byte)'}' or (byte)']') && !_handEdited)
                {
                    throw Malformed($"A comma before '{(char)b}' at byte {_position}.");
                }
            }
            else if (b is not ((byte)'}' or (byte)']'))
            {
                throw Malformed($"Expected ',' or the container's end, found '{(char)b}' at byte {_position}.");
            }
        }

        TokenStartIndex = _position;
        ValueIsEscaped = false;
        if (b is (byte)'}' or (byte)']')
        {
            return Close(b);
        }

        if (InObject && !_afterName)
        {
            if (b != '"')
            {
                throw Malformed($"Expected a property name, found '{(char)b}' at byte {_position}.");
            }

            ScanString();
            TokenType = JsonToken.PropertyName;

            // Whitespace only: Utf8JsonReader refuses a comment between a name and its colon.
            while (_position < _json.Length && _json[_position] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                _position++;
            }

            if (_position == _json.Length || _json[_position] != ':')
            {
                throw Malformed($"Expected ':' after the property name at byte {_position}.");
            }

            _position++;
            _afterName = true;
            return true;
        }

        _afterName = false;
        switch (b)
        {
            case (byte)'{':
            case (byte)'[':
                Open(b == '{');
                return true;
            case (byte)'"':
                ScanString();
                TokenType = JsonToken.String;
                break;
            case (byte)'t':
                ScanLiteral("true"u8, JsonToken.True);
                break;
            case (byte)'f':
                ScanLiteral("false"u8, JsonToken.False);
                break;
            case (byte)'n':
                ScanLiteral("null"u8, JsonToken.Null);
                break;
            default:
                ScanNumber();
                break;
        }

        EndValue();
        return true;
    }

    /// <summary>Skips the current value and what it holds; on a property name, its value too.</summary>
    /// <exception cref="System.Text.Json.JsonException">The JSON is malformed.</exception>
    public void Skip()
    {
        if (TokenType == JsonToken.PropertyName)
        {
            Read();
        }

        if (TokenType is JsonToken.StartObject or JsonToken.StartArray)
        {
            var depth = CurrentDepth - 1;
            while (Read() && CurrentDepth > depth)
            {
            }
        }
    }

    /// <summary>Skips the current value (see <see cref="Skip"/>) and returns its text, from its first byte to its last.</summary>
    /// <exception cref="System.Text.Json.JsonException">The JSON is malformed.</exception>
    public ReadOnlySpan<byte> SkipValue()
    {
        if (TokenType == JsonToken.PropertyName)
        {
            Read();
        }

        var start = TokenStartIndex;
        Skip();
        return _json[start.._position];
    }

    private readonly bool InObject => CurrentDepth > 0 && (_objects & (1UL << (CurrentDepth - 1))) != 0;

    private void Open(bool isObject)
    {
        if (CurrentDepth == MaxDepth)
        {
            throw Malformed($"The JSON nests deeper than {MaxDepth} at byte {_position}.");
        }

        _objects = isObject ? _objects | (1UL << CurrentDepth) : _objects & ~(1UL << CurrentDepth);
        CurrentDepth++;
        _position++;
        _afterValue = false;
        TokenType = isObject ? JsonToken.StartObject : JsonToken.StartArray;
        ValueSpan = _json.Slice(TokenStartIndex, 1);
    }

    private bool Close(byte b)
    {
        if (CurrentDepth == 0 || _afterName || InObject != (b == '}'))
        {
            throw Malformed($"Unexpected '{(char)b}' at byte {_position}.");
        }

        CurrentDepth--;
        _position++;
        TokenType = b == '}' ? JsonToken.EndObject : JsonToken.EndArray;
        ValueSpan = _json.Slice(TokenStartIndex, 1);
        EndValue();
        return true;
    }

    private void EndValue()
    {
        _afterValue = CurrentDepth > 0;
        _rootDone = CurrentDepth == 0;
    }

    private void ScanString()
    {
        var start = ++_position;
        var ascii = true;
        while (true)
        {
            if (_position == _json.Length)
            {
                throw Malformed("The JSON ends inside a string.");
            }

            var b = _json[_position];
            if (b == '"')
            {
                break;
            }

            if (b < 0x20)
            {
                throw Malformed($"A control character in a string at byte {_position}.");
            }

            if (b == '\\')
            {
                ValueIsEscaped = true;
                ScanEscape();
                continue;
            }

            ascii &= b < 0x80;
            _position++;
        }

        ValueSpan = _json[start.._position];
        _position++;
        if (!ascii && !IsValidUtf8(ValueSpan))
        {
            throw Malformed($"A string that is not UTF-8 at byte {start}.");
        }
    }

    private void ScanEscape()
    {
        var at = _position;
        _position++;
        if (_position == _json.Length)
        {
            throw Malformed("The JSON ends inside an escape.");
        }

        switch (_json[_position])
        {
            case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                _position++;
                return;
            case (byte)'u':
                if (_position + 4 >= _json.Length || !Utf8Parser.TryParse(_json.Slice(_position + 1, 4), out ushort _, out var used, 'X') || used != 4)
                {
                    throw Malformed($"A \\u escape without four hexadecimal digits at byte {at}.");
                }

                _position += 5;
                return;
            default:
                throw Malformed($"An unknown escape at byte {at}.");
        }
    }

    private void ScanLiteral(ReadOnlySpan<byte> literal, JsonToken token)
    {
        if (!_json[_position..].StartsWith(literal))
        {
            throw Malformed($"Unexpected '{(char)_json[_position]}' at byte {_position}.");
        }

        ValueSpan = _json.Slice(_position, literal.Length);
        _position += literal.Length;
        TokenType = token;
        EndOfValue();
    }

    // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    private void ScanNumber()
    {
        var start = _position;
        Accept((byte)'-');
        if (!Accept((byte)'0'))
        {
            RequireDigits();
        }

        if (Accept((byte)'.'))
        {
            RequireDigits();
        }

        if (Accept((byte)'e') || Accept((byte)'E'))
        {
            _ = Accept((byte)'+') || Accept((byte)'-');
            RequireDigits();
        }

        ValueSpan = _json[start.._position];
        TokenType = JsonToken.Number;
        EndOfValue();
    }

    private bool Accept(byte b)
    {
        if (_position < _json.Length && _json[_position] == b)
        {
            _position++;
            return true;
        }

        return false;
    }

    private void RequireDigits()
    {
        var start = _position;
        while (_position < _json.Length && char.IsAsciiDigit((char)_json[_position]))
        {
            _position++;
        }

        if (_position == start)
        {
            throw Malformed($"Expected a digit at byte {_position}.");
        }
    }

    // A literal or a number ends where JSON can go on: whitespace, a comma, a container's end or a comment.
    private readonly void EndOfValue()
    {
        if (_position < _json.Length && _json[_position] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)',' or (byte)'}' or (byte)']' or (byte)'/'))
        {
            throw Malformed($"Unexpected '{(char)_json[_position]}' at byte {_position}.");
        }
    }

    private void SkipSpace()
    {
        while (_position < _json.Length)
        {
            switch (_json[_position])
            {
                case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                    _position++;
                    break;
                case (byte)'/' when _handEdited:
                    SkipComment();
                    break;
                default:
                    return;
            }
        }
    }

    private void SkipComment()
    {
        var at = _position;
        if (_position + 1 < _json.Length && _json[_position + 1] == '/')
        {
            var end = _json[_position..].IndexOf((byte)'\n');
            _position = end < 0 ? _json.Length : _position + end + 1;
        }
        else if (_position + 1 < _json.Length && _json[_position + 1] == '*')
        {
            var end = _json[(_position + 2)..].IndexOf("*/"u8);
            _position = end < 0 ? throw Malformed($"A comment that never ends at byte {at}.") : _position + 2 + end + 2;
        }
        else
        {
            throw Malformed($"Unexpected '/' at byte {at}.");
        }
    }

    private static bool IsValidUtf8(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out _, out var used) != OperationStatus.Done)
            {
                return false;
            }

            bytes = bytes[used..];
        }

        return true;
    }

    // Built apart from the scanning code, so that a run that reads only well-formed files never loads System.Text.Json.
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static Exception Malformed(string message) => new System.Text.Json.JsonException(message);
}
