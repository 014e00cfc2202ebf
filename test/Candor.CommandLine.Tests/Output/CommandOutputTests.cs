using Candor.CommandLine.Output;

namespace Candor.CommandLine.Tests.Output;

public sealed class CommandOutputTests
{
    [Fact]
    public void Color_OnATerminal_PaintsText()
    {
        var output = new CommandOutput(new StringWriter(), new StringWriter(), json: false, color: true);

        Assert.Equal("\u001b[32mall\u001b[0m", output.Good("all"));
        Assert.Equal("\u001b[1mpack\u001b[0m", output.Strong("pack"));
    }

    [Fact]
    public void Color_ForJsonOrNotATerminal_LeavesTextAlone()
    {
        var json = new CommandOutput(new StringWriter(), new StringWriter(), json: true, color: true);
        var redirected = new CommandOutput(new StringWriter(), new StringWriter(), json: false, color: false);

        Assert.Equal("off", json.Notable("off"));
        Assert.Equal("off", redirected.Notable("off"));
    }

    [Fact]
    public void WriteJson_IsIndentedAndKeepsPlusAndQuotesReadable()
    {
        var text = new StringWriter();
        var output = new CommandOutput(text, new StringWriter(), json: true, color: false);

        output.WriteJson(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("detail", "settings.json: level = 'c++'");
            writer.WriteEndObject();
        });

        Assert.Equal("{\n  \"detail\": \"settings.json: level = 'c++'\"\n}\n", text.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Fail_WritesOneLineToTheErrorWriter_AndReturnsTheCode()
    {
        var error = new StringWriter();
        var output = new CommandOutput(new StringWriter(), error, json: false, color: false);

        Assert.Equal(ExitCodes.Usage, output.Fail("candor: no.", ExitCodes.Usage));
        Assert.Equal("candor: no." + Environment.NewLine, error.ToString());
    }
}
