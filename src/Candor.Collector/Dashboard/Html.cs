using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;

namespace Candor.Collector.Dashboard;

/// <summary>
/// Builds an HTML page from interpolated strings whose holes are HTML-encoded (quotes included, so a hole is
/// safe inside a quoted attribute too). Only a <see cref="Markup"/> hole is written as it is: markup that this
/// code made, never text that came from a request or from the data.
/// </summary>
internal sealed class HtmlBuilder
{
    internal StringBuilder Builder { get; } = new(16 * 1024);

    public HtmlBuilder Add([InterpolatedStringHandlerArgument("")] ref HtmlHandler html) => this;

    public override string ToString() => Builder.ToString();
}

/// <summary>Markup written as it is; see <see cref="HtmlBuilder"/>.</summary>
internal readonly record struct Markup(string Value)
{
    public static readonly Markup Empty = new("");

    /// <summary>An attribute that is written only when <paramref name="on"/> is true (<c>selected</c>, <c>open</c>).</summary>
    public static Markup If(bool on, string attribute) => on ? new Markup(" " + attribute) : Empty;
}

[InterpolatedStringHandler]
internal readonly ref struct HtmlHandler
{
    private readonly StringBuilder _builder;

    public HtmlHandler(int literalLength, int formattedCount, HtmlBuilder html)
    {
        _ = formattedCount;
        _builder = html.Builder;
        _builder.EnsureCapacity(_builder.Length + literalLength);
    }

    public void AppendLiteral(string literal) => _builder.Append(literal);

    public void AppendFormatted(Markup markup) => _builder.Append(markup.Value);

    public void AppendFormatted(string? text) => _builder.Append(HtmlEncoder.Default.Encode(text ?? ""));

    public void AppendFormatted(int value) => _builder.Append(value.ToString(CultureInfo.InvariantCulture));

    public void AppendFormatted(long value) => _builder.Append(value.ToString(CultureInfo.InvariantCulture));
}
