using System.Diagnostics;
using System.Runtime.CompilerServices;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.ApplicationInsights;
using Microsoft.ApplicationInsights.Extensibility;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Candor.Collector.Tests.Interop;

/// <summary>The Application Insights SDK (2.x) and the Azure Monitor exporter sending to the real collector.</summary>
public class ApplicationInsightsClientTests
{
    [Fact]
    public async Task ApplicationInsightsSdk_EventsAndExceptions_KeepDeclaredFieldsAndScrubbedStacksOnly()
    {
        var (collector, key) = await InteropTool.StartAsync();
        await using var _ = collector;
        var install = Guid.NewGuid();

        // The line a tool changes: the connection string, with the ingestion key as the instrumentation key.
        using (var configuration = new TelemetryConfiguration { ConnectionString = $"InstrumentationKey={key};IngestionEndpoint={collector.BaseAddress}" })
        {
            var client = new TelemetryClient(configuration);
            client.Context.User.Id = install.ToString();
            client.Context.Component.Version = "2.0.1";
            client.TrackEvent("CommandRun",
                new Dictionary<string, string> { ["command"] = "run", ["user"] = InteropTool.Canary },
                new Dictionary<string, double> { ["exitCode"] = 1, ["secretNumber"] = 42 });
            client.TrackTrace(InteropTool.Canary);
            client.TrackException(Thrown(), new Dictionary<string, string> { ["path"] = InteropTool.Canary });
            client.Flush();
        }

        var rows = await InteropTool.RawAsync(collector);
        Assert.Equal(["command", "crash"], rows.Select(r => r["event"]!.GetValue<string>()).Order());
        var command = rows.Single(r => r["event"]!.GetValue<string>() == "command");
        Assert.Equal(install, command["install"]!.GetValue<Guid>());
        Assert.Equal("2.0.1", command["version"]!.GetValue<string>());
        Assert.Equal(["command"], command["properties"]!.AsObject().Select(p => p.Key));
        Assert.Equal("run", command["properties"]!["command"]!.GetValue<string>());
        Assert.Equal(["exitCode"], command["measurements"]!.AsObject().Select(p => p.Key));
        var crash = rows.Single(r => r["event"]!.GetValue<string>() == "crash");
        Assert.Equal("System.InvalidOperationException at CliTool.Commands.Fail | [external]", crash["properties"]!["stack"]!.GetValue<string>());
        await collector.StopAsync();
        InteropTool.AssertNoCanary(collector);
    }

    [Fact]
    public async Task AzureMonitorExporter_RequestSpans_BecomeEventsThroughTheSameMapping()
    {
        // The exporter writes service.instance.id into the ai.cloud.roleInstance tag: the manifest names that tag.
        var (collector, key) = await InteropTool.StartAsync(InteropTool.ManifestJson.Replace("\"install\": \"ai.user.id\"", "\"install\": \"ai.cloud.roleInstance\"", StringComparison.Ordinal));
        await using var _ = collector;
        var install = Guid.NewGuid();
        using var source = new ActivitySource("CliTool");

        using (var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource("CliTool")
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("clitool", serviceVersion: "3.1.0", serviceInstanceId: install.ToString()))
            .AddAzureMonitorTraceExporter(options =>
            {
                options.ConnectionString = $"InstrumentationKey={key};IngestionEndpoint={collector.BaseAddress}";
                options.DisableOfflineStorage = true;
                options.EnableLiveMetrics = false;

                // The exporter's default sampler limits traces per second and can drop the first; a usage event must not be sampled.
                options.TracesPerSecond = null;
                options.SamplingRatio = 1.0F;
            })
            .Build())
        {
            using (var activity = source.StartActivity("cli.command", ActivityKind.Server))
            {
                activity!.SetTag("cli.command", "build");
                activity.SetTag("user.name", InteropTool.Canary);
            }

            tracing.ForceFlush();
        }

        var row = Assert.Single(await InteropTool.RawAsync(collector));
        Assert.Equal("command", row["event"]!.GetValue<string>());
        Assert.Equal(install, row["install"]!.GetValue<Guid>());
        Assert.Equal("build", row["properties"]!["command"]!.GetValue<string>());
        Assert.True(row["properties"]!["ok"]!.GetValue<bool>());
        Assert.True(row["measurements"]!.AsObject().ContainsKey("durationMs"));
        await collector.StopAsync();
        InteropTool.AssertNoCanary(collector);
    }

    private static InvalidOperationException Thrown()
    {
        try
        {
            CliTool.Commands.Fail();
            throw new UnreachableException();
        }
        catch (InvalidOperationException ex)
        {
            return ex;
        }
    }
}
