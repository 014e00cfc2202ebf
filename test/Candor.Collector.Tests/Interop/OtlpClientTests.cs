using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Candor.Collector.Tests.Interop;

/// <summary>OpenTelemetry .NET's own OTLP exporter (HTTP/protobuf) sending to the real collector.</summary>
public partial class OtlpClientTests
{
    [Fact]
    public async Task ILoggerThroughOtlpExporter_KeepsMappedFieldsOnly_AndNoFreeText()
    {
        var (collector, key) = await InteropTool.StartAsync();
        await using var _ = collector;
        var install = Guid.NewGuid();

        using (var logging = LoggerFactory.Create(builder => builder.AddOpenTelemetry(options =>
        {
            options.IncludeFormattedMessage = true;
            options.SetResourceBuilder(Resource(install));
            options.AddOtlpExporter(exporter => Point(exporter, collector, "/v1/logs", key));
        })))
        {
            var logger = logging.CreateLogger("CliTool.Commands");
            CommandRun(logger, "build", InteropTool.Canary, 3, 4096);
            Unrelated(logger, InteropTool.Canary);
        }

        var rows = await InteropTool.RawAsync(collector);
        var row = Assert.Single(rows);
        Assert.Equal("command", row["event"]!.GetValue<string>());
        Assert.Equal(install, row["install"]!.GetValue<Guid>());
        Assert.Equal("1.2.3", row["version"]!.GetValue<string>());
        Assert.Equal(["command", "size"], row["properties"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal("build", row["properties"]!["command"]!.GetValue<string>());
        Assert.Equal("1000-100000", row["properties"]!["size"]!.GetValue<string>());
        Assert.Equal(3, row["measurements"]!["exitCode"]!.GetValue<double>());
        Assert.Equal("", row["country"]!.GetValue<string>());
        await collector.StopAsync();
        InteropTool.AssertNoCanary(collector);
    }

    [Fact]
    public async Task ActivityThroughOtlpExporter_BecomesAnEventWithDurationAndOutcome()
    {
        var (collector, key) = await InteropTool.StartAsync();
        await using var _ = collector;
        var install = Guid.NewGuid();
        using var source = new ActivitySource("CliTool");

        using (var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource("CliTool")
            .SetResourceBuilder(Resource(install))
            .AddOtlpExporter(exporter => Point(exporter, collector, "/v1/traces", key))
            .Build())
        {
            using (var activity = source.StartActivity("cli.command"))
            {
                activity!.SetTag("cli.command", "test");
                activity.SetTag("user.name", InteropTool.Canary);
                activity.SetStatus(ActivityStatusCode.Error, InteropTool.Canary);
            }

            using (source.StartActivity("not.mapped"))
            {
            }
        }

        var row = Assert.Single(await InteropTool.RawAsync(collector));
        Assert.Equal("command", row["event"]!.GetValue<string>());
        Assert.Equal(["command", "ok"], row["properties"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal("test", row["properties"]!["command"]!.GetValue<string>());
        Assert.False(row["properties"]!["ok"]!.GetValue<bool>());
        Assert.True(row["measurements"]!["durationMs"]!.GetValue<double>() >= 0);
        await collector.StopAsync();
        InteropTool.AssertNoCanary(collector);
    }

    [LoggerMessage(EventId = 1, EventName = "CommandRun", Level = LogLevel.Information, Message = "Ran {Command} as {User}, exit {ExitCode}, {InputBytes} bytes")]
    private static partial void CommandRun(ILogger logger, string command, string user, int exitCode, long inputBytes);

    [LoggerMessage(EventId = 2, EventName = "Unrelated", Level = LogLevel.Information, Message = "Something else for {User}")]
    private static partial void Unrelated(ILogger logger, string user);

    private static ResourceBuilder Resource(Guid install) => ResourceBuilder.CreateEmpty()
        .AddService("clitool", serviceVersion: "1.2.3")
        .AddAttributes([new("candor.install", install.ToString()), new("host.name", InteropTool.Canary), new("os.type", "linux")]);

    // The lines a tool changes: the endpoint (a full URL per signal), the protocol, and the key as a header.
    private static void Point(OtlpExporterOptions exporter, TestCollector collector, string path, string key)
    {
        exporter.Endpoint = new Uri(collector.BaseAddress, path);
        exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
        exporter.Headers = $"x-candor-key={key}";
        exporter.ExportProcessorType = ExportProcessorType.Simple;
    }
}
