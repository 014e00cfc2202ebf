using Microsoft.Playwright;
using Xunit.Sdk;

namespace Candor.Dashboard.Tests;

/// <summary>
/// Debian's Chromium, driven by Playwright through its executable path (no browser download). One browser serves
/// every test; each test gets its own context, so cookies never leak between tests running in parallel.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    /// <summary>Where the browser is: <c>CANDOR_CHROMIUM</c> if set, else Debian's <c>/usr/bin/chromium</c>.</summary>
    public static readonly string ExecutablePath = Environment.GetEnvironmentVariable("CANDOR_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>On CI a missing browser fails the tests; elsewhere they are skipped with <see cref="MissingReason"/>.</summary>
    public static readonly bool Required = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool Available => File.Exists(ExecutablePath);

    public static string MissingReason =>
        $"Chromium is not installed at {ExecutablePath}: install it with `apt-get install -y chromium` (or set CANDOR_CHROMIUM); with CI=true this is a failure.";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (!Available)
        {
            if (Required)
            {
                throw new InvalidOperationException(MissingReason);
            }

            return;
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ExecutablePath, Headless = true });
    }

    /// <summary>A fresh browser context (its own cookies) with a window <paramref name="width"/> pixels wide.</summary>
    public async Task<IBrowserContext> NewContextAsync(Uri baseAddress, int width = 1280, int height = 900)
    {
        var context = await (_browser ?? throw new InvalidOperationException(MissingReason)).NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "en-US",
            TimezoneId = "UTC",
        });

        // A limit, not a timing: on a busy two-core machine a page can take far longer than Playwright's 30 s default.
        context.SetDefaultTimeout(120_000);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserTests : ICollectionFixture<Browser>, ICollectionFixture<AcmeCollector>
{
    public const string Name = "browser";
}

/// <summary>
/// A test that needs the browser: skipped with a reason when Chromium is missing, unless CI=true, where it fails.
/// The reason is also in the skipped test's name (<see cref="SkipReasonInName"/>), so that <c>dotnet test</c> prints it.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("Candor.Collector.Tests.SkipReasonInNameDiscoverer", "Candor.Dashboard.Tests")]
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!Browser.Available && !Browser.Required)
        {
            Skip = Browser.MissingReason;
        }
    }
}
