using Microsoft.ApplicationInsights;
using Microsoft.ApplicationInsights.Extensibility;

// Tracks one event named "run" with its "mode" and exits, as the exit-time tool tracks one, with the Application
// Insights SDK as its documentation for console applications shows: a configuration made with CreateDefault, the
// connection string set before anything is tracked (APPLICATIONINSIGHTS_CONNECTION_STRING here), TrackEvent, and
// Flush before exit. The base package's channel is the in-memory one, whose Flush sends synchronously, so the
// documentation asks for no sleep after it (a sleep is asked for with ServerTelemetryChannel only). The install's
// random ID goes in the user ID (the ai.user.id tag), as docs/interop.md says; it comes from APPINSIGHTS_BENCH_INSTALL.
var configuration = TelemetryConfiguration.CreateDefault();
configuration.ConnectionString = Environment.GetEnvironmentVariable("APPLICATIONINSIGHTS_CONNECTION_STRING");
var client = new TelemetryClient(configuration);
client.Context.User.Id = Environment.GetEnvironmentVariable("APPINSIGHTS_BENCH_INSTALL");

var mode = args.Contains("--verbose") ? "verbose" : "plain";
client.TrackEvent("run", new Dictionary<string, string> { ["mode"] = mode });
client.Flush();
Console.WriteLine($"done ({mode})");
