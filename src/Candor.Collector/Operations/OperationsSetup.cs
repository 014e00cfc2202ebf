using Candor.Collector.Access;
using Candor.Collector.Ingestion;
using Candor.Collector.Products;
using Candor.Collector.Query;
using Candor.Collector.Retention;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Collector.Storage.Sqlite;
using Candor.Protocol;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Candor.Collector.Operations;

/// <summary>The <c>AddX</c>/<c>MapX</c> calls that <c>Program</c> lists, one per feature.</summary>
internal static class OperationsSetup
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The clock, the console and the listening address; tests register their own clock and console first.</summary>
    public static WebApplicationBuilder AddCollectorDefaults(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton(new CollectorConsole(Console.Out));
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ProtocolJsonContext.Default);

            // Admin request bodies are written by hand and carry manifests, which may hold comments and trailing
            // commas as the SDK accepts them (docs/manifest.md); so may the body around them.
            o.SerializerOptions.ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip;
            o.SerializerOptions.AllowTrailingCommas = true;
        });
        builder.Services.AddProblemDetails();

        // A request an endpoint cannot read reaches UnreadableRequests, which says why, instead of a bare 400.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return builder;
    }

    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        // TryAdd: a test that registered a store of its own (one whose disk fails, say) keeps it.
        builder.Services.TryAddSingleton<IEventStore>(sp => sp.GetRequiredService<IOptions<StorageOptions>>().Value is var options && options.UsesPostgres
            ? new PostgresEventStore(options)
            : new SqliteEventStore(options));
        // Each feature depends on the role it uses; all three are the one store.
        builder.Services.AddSingleton<ICatalogueStore>(sp => sp.GetRequiredService<IEventStore>());
        builder.Services.AddSingleton<IEventLog>(sp => sp.GetRequiredService<IEventStore>());
        builder.Services.AddSingleton<IRollupReader>(sp => sp.GetRequiredService<IEventStore>());

        // Registered first, so the store is open before any other hosted service (retention) runs.
        builder.Services.AddHostedService<CollectorStartup>();
        return builder;
    }

    public static WebApplicationBuilder AddAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AccessOptions>().BindConfiguration(AccessOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AccessOptions>, AccessOptionsValidator>();
        builder.Services.AddSingleton<CredentialService>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<RefusedCredentials>();
        builder.Services.AddSingleton<AdminBootstrap>();
        builder.Services.AddHostedService<StoreRefresh>();
        builder.Services.AddAuthentication(TokenAuthentication.Scheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthentication.Scheme, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(TokenAuthentication.AdminPolicy, p => p.RequireRole(nameof(CredentialRole.Admin)))
            .AddPolicy(TokenAuthentication.ReaderPolicy, p => p.RequireRole(nameof(CredentialRole.Reader), nameof(CredentialRole.Admin)));
        return builder;
    }

    public static WebApplicationBuilder AddProducts(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ProductCatalog>();
        return builder;
    }

    public static WebApplicationBuilder AddRetention(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        builder.Services.AddSingleton<RetentionJob>();
        builder.Services.AddHostedService<RetentionScheduler>();
        return builder;
    }

    public static WebApplicationBuilder AddQuery(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<NoiseOptions>().BindConfiguration(NoiseOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<NoiseOptions>, NoiseOptionsValidator>();
        builder.Services.AddSingleton<FigureNoise>();
        builder.Services.AddSingleton<QueryService>();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Candor collector";
            document.Info.Description = "Ingestion, administration and the query API of a Candor collector.";
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CollectorMetrics>();
        builder.Services.AddHealthChecks().AddCheck<StoreHealthCheck>("store");
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(CollectorMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.RateLimiting")
            .AddPrometheusExporter());
        return builder;
    }

    /// <summary>The middleware in front of every endpoint: client address from trusted proxies only, then limits and access.</summary>
    public static WebApplication UseCollectorEdge(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseStatusCodePages();
        app.UseMiddleware<UnreadableRequests>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseMiddleware<JsonCharset>();
        return app;
    }

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks("/healthz");
        routes.MapPrometheusScrapingEndpoint("/metrics");
        routes.MapOpenApi("/openapi/{documentName}.json");
        return routes;
    }
}

/// <summary>Healthy while the store answers a read, its backlog is below the limit and its estimated wait below <see cref="StorageOptions.MaxWait"/>.</summary>
internal sealed class StoreHealthCheck(IEventStore store, IOptions<StorageOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.GetProductsAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("the store does not answer", ex);
        }

        if (store.Backlog >= options.Value.MaxBacklog)
        {
            return HealthCheckResult.Degraded($"{store.Backlog} events wait for the writer");
        }

        return store.EstimatedWait > options.Value.MaxWait
            ? HealthCheckResult.Degraded($"the writer is about {Math.Ceiling(store.EstimatedWait.TotalSeconds)} s behind")
            : HealthCheckResult.Healthy();
    }
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var errors = new List<string>();
        if (!string.Equals(options.Provider, StorageOptions.Sqlite, StringComparison.OrdinalIgnoreCase) && !options.UsesPostgres)
        {
            errors.Add($"Storage:Provider must be '{StorageOptions.Sqlite}' or '{StorageOptions.Postgres}', not '{options.Provider}'");
        }
        else if (options.UsesPostgres && PostgresConnectionProblem("Storage:ConnectionString", options.ConnectionString) is { } problem)
        {
            errors.Add(problem);
        }

        if (options.ReadConnectionString is not null)
        {
            if (!options.UsesPostgres)
            {
                errors.Add("Storage:ReadConnectionString is for a PostgreSQL read replica: set it only when Storage:Provider is postgres");
            }
            else if (PostgresConnectionProblem("Storage:ReadConnectionString", options.ReadConnectionString) is { } problem)
            {
                errors.Add(problem);
            }
        }

        if (string.IsNullOrWhiteSpace(options.DataPath))
        {
            errors.Add("Storage:DataPath must name a folder");
        }

        if (options.MaxEventsPerTransaction < 1)
        {
            errors.Add("Storage:MaxEventsPerTransaction must be 1 or more");
        }

        if (options.EventsPerFold < 1)
        {
            errors.Add("Storage:EventsPerFold must be 1 or more");
        }

        if (options.MaxWait <= TimeSpan.Zero)
        {
            errors.Add("Storage:MaxWait must be longer than zero (for example 00:00:02)");
        }

        if (options.MaxBacklog < ProtocolConstants.MaxEventsPerBatch)
        {
            errors.Add($"Storage:MaxBacklog must be at least one batch ({ProtocolConstants.MaxEventsPerBatch})");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    // Only what can be told without connecting; whether the server answers is found out at start.
    private static string? PostgresConnectionProblem(string setting, string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return $"{setting} must be set when Storage:Provider is postgres (e.g. Host=db;Database=candor;Username=candor;Password=…)";
        }

        Npgsql.NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            return $"{setting} is not a PostgreSQL connection string: {ex.Message}";
        }

        return string.IsNullOrWhiteSpace(builder.Host) ? $"{setting} must name the server (Host=…)" : null;
    }
}
