using System.Net;
using Candor.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Tests.Operations;

// Tests that must not overlap with others run alone, after the rest, in this collection: these because OpenTelemetry
// listens to meters by name across the process, so another test's collector running at the same time would add its
// counts to this one's /metrics; others name their own reason.
[CollectionDefinition(nameof(OperationsTests), DisableParallelization = true)]
public sealed class RunsAlone;

[Collection(nameof(OperationsTests))]
public class OperationsTests
{
    [Fact]
    public async Task Healthz_StoreAnswers_IsHealthy()
    {
        await using var collector = await TestCollector.StartAsync();

        var response = await collector.Client().GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_CountAcceptedAndRejectedByReason_AndShowBacklogAndLatency()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var undeclared = Some.Install();
        undeclared.Name = "uninstall";
        await collector.PostBatchAsync(key, [Some.Install(), Some.Install(), undeclared]);
        await collector.PostBatchAsync("candor_ingest_wrong", [Some.Install()]);

        var metrics = await collector.Client().GetStringAsync("/metrics");

        Assert.Matches(@"candor_collector_events_accepted_total(\{[^}]*\})? 2", metrics);
        Assert.Matches($@"candor_collector_events_rejected_total\{{[^}}]*reason=""{RejectionReasons.UndeclaredEvent}""[^}}]*\}} 1", metrics);
        Assert.Matches($@"candor_collector_events_rejected_total\{{[^}}]*reason=""{RejectionReasons.UnknownKey}""[^}}]*\}} 1", metrics);
        Assert.Contains("candor_collector_store_backlog", metrics);
        Assert.Contains("candor_collector_batch_duration_seconds_bucket", metrics);
        Assert.Contains("http_server_request_duration_seconds", metrics);
    }

    [Theory]
    [InlineData("Ingestion:PermitsPerKey", "0", "Ingestion:PermitsPerKey must be 1 or more")]
    [InlineData("Retention:RollupMonths", "0", "Retention:RollupMonths must be between 1 and 240")]
    [InlineData("Retention:ErasureCompaction", "-00:00:01", "Retention:ErasureCompaction must be between 0 and 30.00:00:00")]
    [InlineData("Access:AdminToken", "short", "Access:AdminToken must be 32 to 200 characters")]
    [InlineData("Access:RefreshEvery", "-00:00:01", "Access:RefreshEvery must not be negative")]
    [InlineData("Network:TrustedProxies:0", "not-an-address", "'not-an-address' is neither an IP address nor a network")]
    [InlineData("Network:CountryDatabase", "/nonexistent/countries.csv", "Network:CountryDatabase: no file at '/nonexistent/countries.csv'")]
    [InlineData("Storage:MaxEventsPerTransaction", "0", "Storage:MaxEventsPerTransaction must be 1 or more")]
    [InlineData("Storage:EventsPerFold", "0", "Storage:EventsPerFold must be 1 or more")]
    [InlineData("Storage:MaxWait", "00:00:00", "Storage:MaxWait must be longer than zero (for example 00:00:02)")]
    [InlineData("Storage:Provider", "mysql", "Storage:Provider must be 'sqlite' or 'postgres', not 'mysql'")]
    [InlineData("Storage:Provider", "postgres", "Storage:ConnectionString must be set when Storage:Provider is postgres")]
    [InlineData("Storage:ReadConnectionString", "Host=replica", "Storage:ReadConnectionString is for a PostgreSQL read replica: set it only when Storage:Provider is postgres")]
    public async Task Start_InvalidConfiguration_FailsWithAClearSentence(string setting, string value, string expected)
    {
        var app = Program.Build([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Storage:DataPath"] = "/proc/candor-never-created",
            [setting] = value,
        }));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(expected, StartupProblem.Describe(ex));
        await app.DisposeAsync();
    }

    [Theory]
    [InlineData("Host=db;Nonsense=1", "Storage:ConnectionString is not a PostgreSQL connection string")]
    [InlineData("Database=candor", "Storage:ConnectionString must name the server (Host=…)")]
    [InlineData("Host=db", "Storage:ReadConnectionString must name the server (Host=…)", "Database=candor")]
    [InlineData("Host=db", "Storage:ReadConnectionString is not a PostgreSQL connection string", "Host=replica;Nonsense=1")]
    public async Task Start_PostgresConnectionStringInvalid_FailsWithAClearSentence(string connectionString, string expected, string? readConnectionString = null)
    {
        var app = Program.Build([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = connectionString,
            ["Storage:ReadConnectionString"] = readConnectionString,
        }));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(expected, StartupProblem.Describe(ex));
        await app.DisposeAsync();
    }

    [Fact]
    public async Task Start_PostgresServerDoesNotAnswer_SaysSo()
    {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        var app = Program.Build([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = "Host=127.0.0.1;Port=1;Username=candor;Password=secret-never-shown",
        }));

        var ex = await Record.ExceptionAsync(() => app.StartAsync());

        var problem = StartupProblem.Describe(ex!);
        Assert.StartsWith("the PostgreSQL database cannot be used", problem);
        Assert.DoesNotContain("secret-never-shown", problem);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task Start_DataFolderCannotBeCreated_SaysSo()
    {
        var app = Program.Build([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Storage:DataPath"] = "/proc/candor-never-created",
        }));

        var ex = await Record.ExceptionAsync(() => app.StartAsync());

        Assert.StartsWith("the data folder cannot be used", StartupProblem.Describe(ex!));
        await app.DisposeAsync();
    }

    [Fact]
    public async Task Start_MalformedCountryDatabase_NamesTheLine()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "198.51.100.0,198.51.100.255,NZ\nnonsense\n");
        try
        {
            var ex = await Record.ExceptionAsync(() => TestCollector.StartAsync(new Dictionary<string, string?> { ["Network:CountryDatabase"] = file }));

            Assert.Contains("line 2", StartupProblem.Describe(ex!));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
