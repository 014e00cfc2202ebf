using Candor.Collector.Access;
using Candor.Collector.Dashboard;
using Candor.Collector.Ingestion;
using Candor.Collector.Interop;
using Candor.Collector.Operations;
using Candor.Collector.Products;
using Candor.Collector.Query;
using Candor.Collector.Retention;
using Microsoft.Extensions.Options;

namespace Candor.Collector;

/// <summary>The collector's entry point: <c>dotnet run --project src/Candor.Collector</c>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        WebApplication app;
        try
        {
            app = Build(args);
            await app.StartAsync();
        }
        catch (Exception ex) when (StartupProblem.Describe(ex) is { } problem)
        {
            await Console.Error.WriteLineAsync($"Candor collector cannot start: {problem}");
            return 2;
        }

        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }

    /// <summary>Builds the collector; tests pass <paramref name="configure"/> to set configuration, a clock or a console first.</summary>
    internal static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json is read from beside the binary, so `dotnet Candor.Collector.dll` works from any folder;
        // relative paths in the configuration (the data folder) still start at the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        builder.AddCollectorDefaults();
        builder.AddStorage();
        builder.AddAccess();
        builder.AddProducts();
        builder.AddIngestion();
        builder.AddRetention();
        builder.AddQuery();
        builder.AddDashboard();
        builder.AddOperations();

        var app = builder.Build();
        app.UseCollectorEdge();
        app.MapOperations();
        app.MapIngestion();
        app.MapOtlp();
        app.MapApplicationInsights();
        app.MapDeletion();
        app.MapProducts();
        app.MapAccess();
        app.MapQuery();
        app.MapDashboard();
        return app;
    }
}

/// <summary>Turns what can go wrong at start (configuration, the data folder or database, the country file) into one clear sentence.</summary>
internal static class StartupProblem
{
    public static string? Describe(Exception ex) => ex switch
    {
        OptionsValidationException options => "the configuration is invalid:" + Environment.NewLine + "  - " + string.Join(Environment.NewLine + "  - ", options.Failures),
        FormatException format => format.Message,
        UnauthorizedAccessException or IOException or Microsoft.Data.Sqlite.SqliteException => $"the data folder cannot be used: {ex.Message}",
        Npgsql.NpgsqlException => $"the PostgreSQL database cannot be used: {ex.Message}",
        _ => null,
    };
}
