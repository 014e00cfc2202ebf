using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Candor.CommandLine.Output;

/// <summary>
/// Where a telemetry command writes: text for people (with color only on a terminal that wants it) or JSON
/// for scripts (<c>--json</c>), on the invocation's output; errors go to its error writer as one line.
/// </summary>
internal sealed class CommandOutput
{
    private const string Reset = "\u001b[0m";

    private static readonly JsonWriterOptions JsonOptions = new()
    {
        Indented = true,

        // Output for a terminal or a script, never for HTML: keep '+', quotes and non-ASCII readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public CommandOutput(TextWriter output, TextWriter error, bool json, bool color)
    {
        Out = output;
        Error = error;
        Json = json;
        Color = color && !json;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>Whether the command was asked for JSON.</summary>
    public bool Json { get; }

    /// <summary>Whether text may carry ANSI colors.</summary>
    public bool Color { get; }

    /// <summary>
    /// The output of <paramref name="parseResult"/>'s invocation. Colors only when it writes to the process's own
    /// console, that console is a terminal, <c>NO_COLOR</c> is unset and <c>TERM</c> is not <c>dumb</c>.
    /// </summary>
    public static CommandOutput For(ParseResult parseResult, bool json)
    {
        var configuration = parseResult.InvocationConfiguration;
        var color = ReferenceEquals(configuration.Output, Console.Out)
            && !Console.IsOutputRedirected
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
            && Environment.GetEnvironmentVariable("TERM") != "dumb";
        return new CommandOutput(configuration.Output, configuration.Error, json, color);
    }

    public void Line(string text = "") => Out.WriteLine(text);

    /// <summary>Text in bold.</summary>
    public string Strong(string text) => Paint("\u001b[1m", text);

    /// <summary>Text in green (on, fine).</summary>
    public string Good(string text) => Paint("\u001b[32m", text);

    /// <summary>Text in yellow (off, or worth a look).</summary>
    public string Notable(string text) => Paint("\u001b[33m", text);

    /// <summary>Text in a dim tone (secondary detail).</summary>
    public string Dim(string text) => Paint("\u001b[2m", text);

    /// <summary>Writes one JSON document built by <paramref name="write"/>, then a line break.</summary>
    public void WriteJson(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, JsonOptions))
        {
            write(writer);
        }

        Out.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>Writes one line to the error writer and returns <paramref name="exitCode"/>.</summary>
    public int Fail(string message, int exitCode = ExitCodes.Failed)
    {
        Error.WriteLine(message);
        return exitCode;
    }

    private string Paint(string code, string text) => Color ? code + text + Reset : text;
}

/// <summary>The exit codes of the telemetry commands and the <c>candor</c> tool, which scripts may rely on.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;

    /// <summary>The command could not do its work: a file could not be written, a collector refused or could not be reached, nothing is known about the product.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: an unknown command or option, a missing or bad value.</summary>
    public const int Usage = 2;
}
