using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Candor.Collector.Tests;

namespace Candor.Dashboard.Tests;

/// <summary>
/// The dashboard's HTTP side without a browser: forms, sessions, headers and assets. The tests share one
/// collector (each signs in with its own token and cookies), as none of them changes what another reads.
/// </summary>
public sealed class DashboardEndpointsTests(DashboardEndpointsTests.Collector shared) : IClassFixture<DashboardEndpointsTests.Collector>
{
    [Fact]
    public async Task SignIn_WithoutTheFormToken_IsRefusedAndStartsNoSession()
    {
        var collector = shared.Instance;
        var reader = await collector.CreateReaderAsync();
        var (client, cookies) = Browserless(collector);

        var response = await client.PostAsync("/dashboard/sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = reader }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("The sign-in form had expired", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == "candor_session");
    }

    [Fact]
    public async Task Session_EndsWhenItsTokenIsRevoked()
    {
        var collector = shared.Instance;
        var created = await collector.Admin.PostAsJsonAsync("/admin/tokens", new { role = "reader", name = "leaving", products = new[] { "acme" } });
        var token = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        var (client, _) = Browserless(collector);
        await SignInAsync(client, token["secret"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/dashboard")).StatusCode);

        var revoked = await collector.Admin.DeleteAsync($"/admin/tokens/{token["id"]!.GetValue<long>()}");
        var after = await client.GetAsync("/dashboard");

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/dashboard/sign-in", new Uri(collector.BaseAddress, after.Headers.Location!).AbsolutePath);
    }

    [Fact]
    public async Task SessionCookie_NeverOpensTheQueryApi()
    {
        var collector = shared.Instance;
        var (client, _) = Browserless(collector);
        await SignInAsync(client, await collector.CreateReaderAsync());

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/dashboard/products/acme")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/query/acme/events")).StatusCode);
    }

    [Theory]
    [InlineData("https://elsewhere.example/", "/dashboard")]
    [InlineData("//elsewhere.example/dashboard", "/dashboard")]
    [InlineData("/dashboard/products/acme?version=1.3.0", "/dashboard/products/acme?version=1.3.0")]
    public async Task SignIn_ReturnsOnlyToDashboardPages(string returnUrl, string expected)
    {
        var collector = shared.Instance;
        var (client, _) = Browserless(collector);

        var response = await SignInAsync(client, await collector.CreateReaderAsync(), returnUrl);

        Assert.Equal(expected, response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Pages_ForbidInlineScriptsFramingAndCaching()
    {
        var collector = shared.Instance;
        var (client, _) = Browserless(collector);

        var response = await client.GetAsync("/dashboard/sign-in");

        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.True(response.Headers.CacheControl!.NoStore);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotMatch("<script>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Assets_AreServedFromTheAssembly_AndKeptForGoodWhenVersioned()
    {
        var collector = shared.Instance;
        var (client, _) = Browserless(collector);
        await SignInAsync(client, await collector.CreateReaderAsync());
        var page = await client.GetStringAsync("/dashboard/products/acme");
        var chart = Regex.Match(page, "src=\"(/dashboard/assets/lib/chart\\.umd\\.min\\.js\\?v=[0-9a-f]{16})\"").Groups[1].Value;

        var library = await client.GetAsync(chart);
        var unversioned = await client.GetAsync("/dashboard/assets/dashboard.js");

        Assert.Equal(HttpStatusCode.OK, library.StatusCode);
        Assert.StartsWith("/*!\n * Chart.js v4", await library.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("immutable", library.Headers.CacheControl!.ToString());
        Assert.Equal("no-cache", unversioned.Headers.CacheControl!.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/dashboard/assets/../appsettings.json")).StatusCode);
    }

    [Fact]
    public async Task ProductPage_OfAnUnknownProduct_Is404()
    {
        var collector = shared.Instance;
        var (client, _) = Browserless(collector);
        await SignInAsync(client, await collector.CreateReaderAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/dashboard/products/nope")).StatusCode);
    }

    [Fact]
    public async Task DataVersion_ChangesWhenEventsAreStored_AndOnlyForReadersOfTheProduct()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync(Acme.ManifestJson, k: 1);
        var (client, _) = Browserless(collector);
        await SignInAsync(client, await collector.CreateReaderAsync());
        const string path = "/dashboard/products/acme/version";

        var before = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.True(before.Headers.CacheControl!.NoStore);
        var empty = await before.Content.ReadAsStringAsync();
        Assert.Equal(empty, await client.GetStringAsync(path));

        await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, [Acme.Event("command", Guid.NewGuid(), Some.Now.AddHours(-1))]));
        var after = await client.GetStringAsync(path);

        Assert.NotEqual(empty, after);
        Assert.Contains($"data-version=\"{after}\"", await client.GetStringAsync("/dashboard/products/acme"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/dashboard/products/nope/version")).StatusCode);
        var (stranger, _) = Browserless(collector);
        Assert.Equal(HttpStatusCode.Redirect, (await stranger.GetAsync(path)).StatusCode);
    }

    private static (HttpClient Client, CookieContainer Cookies) Browserless(TestCollector collector)
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = collector.BaseAddress };
        return (client, cookies);
    }

    private static Task<HttpResponseMessage> SignInAsync(HttpClient client, string token, string returnUrl = "/dashboard") =>
        AcmeCollector.SignInAsync(client, token, returnUrl);

    /// <summary>A collector with the acme product registered (k = 1) and one event.</summary>
    public sealed class Collector : IAsyncLifetime
    {
        private TestCollector? _instance;

        internal TestCollector Instance => _instance!;

        public async Task InitializeAsync()
        {
            _instance = await TestCollector.StartAsync();
            var key = await Instance.RegisterAsync(Acme.ManifestJson, k: 1);
            await TestCollector.ReadBatchAsync(await Instance.PostBatchAsync(key, [Acme.Event("command", Guid.NewGuid(), Some.Now.AddHours(-1))]));
        }

        public async Task DisposeAsync()
        {
            if (_instance is not null)
            {
                await _instance.DisposeAsync();
            }
        }
    }
}
