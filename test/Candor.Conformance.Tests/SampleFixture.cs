using System.Text.Json;

namespace Candor.Conformance.Tests;

/// <summary>A collector and a sample built against it, shared by one test class; each test gets its own user.</summary>
public abstract class SampleFixture : IAsyncLifetime
{
    protected SampleFixture()
        : this(new ConformanceCollector())
    {
    }

    /// <param name="collector">A collector set up differently, such as one on a fake clock.</param>
    protected SampleFixture(ConformanceCollector collector) => Collector = collector;

    public ConformanceCollector Collector { get; }

    /// <summary>The product's ingestion key, as its official build carries it.</summary>
    public string Key { get; protected set; } = "";

    public async Task InitializeAsync()
    {
        await Collector.InitializeAsync();
        await BuildAsync();
    }

    public Task DisposeAsync() => Collector.DisposeAsync();

    /// <summary>A new user of the sample: a home of their own and a working folder.</summary>
    public virtual SampleUser NewUser() => new(Path.Combine(Collector.Root, "users", Guid.NewGuid().ToString("N")));

    /// <summary>Waits until the user's runs' uploader has sent what they spooled, then returns every event of that user's install on the collector.</summary>
    public async Task<IReadOnlyList<JsonElement>> DeliveredAsync(SampleUser user, string product)
    {
        if (Directory.Exists(user.Home))
        {
            await ConformanceCollector.WaitUntilDeliveredAsync(user.Home, product);
        }

        var install = user.InstallId(product);
        return install is null ? [] : [.. (await Collector.RawAsync(product)).Where(e => e.GetProperty("install").GetString() == install)];
    }

    protected abstract Task BuildAsync();
}

/// <summary>One person using a sample: their own Candor home, working folder and environment.</summary>
public sealed class SampleUser : IDisposable
{
    public SampleUser(string folder)
    {
        Folder = folder;
        Directory.CreateDirectory(folder);
        Environment = new Dictionary<string, string> { ["CANDOR_HOME"] = Home };
    }

    public string Folder { get; }

    public string Home => Path.Combine(Folder, "candor-home");

    public Dictionary<string, string> Environment { get; }

    /// <summary>The install ID the product's identity file holds, or null when it has none.</summary>
    public string? InstallId(string product)
    {
        var path = Path.Combine(Home, "products", product, "identity.json");
        return File.Exists(path) ? JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("install").GetString() : null;
    }

    internal Task<Run> RunAsync(string program, params string[] arguments) => SampleProcess.RunAsync(program, arguments, Environment, workingDirectory: Folder);

    public void Dispose()
    {
    }
}
