using System.Net;
using System.Text.RegularExpressions;
using Candor.Collector.Tests;
using Microsoft.Playwright;

namespace Candor.Dashboard.Tests;

/// <summary>
/// One collector filled with <see cref="Acme.Events"/> (and two installs of a preview version, fewer than k),
/// shared by the browser tests that only read it: filling it takes seconds, reading it does not.
/// </summary>
public sealed partial class AcmeCollector : IAsyncLifetime
{
    public const string PreviewVersion = "2.0.0-preview.1";

    private TestCollector? _collector;

    internal TestCollector Collector => _collector!;

    public string Reader { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _collector = await TestCollector.StartAsync();
        var preview = Enumerable.Range(0, 2).Select(_ => Acme.Event("command", Guid.NewGuid(), Some.Now.AddHours(-2), version: PreviewVersion));
        Reader = await Acme.SetUpAsync(Collector, [.. Acme.Events(), .. preview]);
    }

    /// <summary>A browser context already signed in (through the sign-in form, over HTTP), at <paramref name="width"/> px.</summary>
    public async Task<IBrowserContext> SignedInAsync(Browser browser, int width = 1280)
    {
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = Collector.BaseAddress };
        await SignInAsync(client, Reader);
        var session = cookies.GetAllCookies().Single(c => c.Name == "candor_session");
        var context = await browser.NewContextAsync(Collector.BaseAddress, width);
        await context.AddCookiesAsync(
        [
            new Microsoft.Playwright.Cookie
            {
                Name = session.Name, Value = session.Value, Domain = Collector.BaseAddress.Host, Path = session.Path,
                HttpOnly = true, SameSite = SameSiteAttribute.Strict,
            },
        ]);
        return context;
    }

    /// <summary>Signs in with the form, as a browser without script would.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string token, string returnUrl = "/dashboard")
    {
        var form = await client.GetStringAsync("/dashboard/sign-in");
        var field = FormToken().Match(form);
        var response = await client.PostAsync("/dashboard/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [field.Groups["name"].Value] = WebUtility.HtmlDecode(field.Groups["value"].Value),
            ["token"] = token,
            ["returnUrl"] = returnUrl,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response;
    }

    public async Task DisposeAsync()
    {
        if (_collector is not null)
        {
            await _collector.DisposeAsync();
        }
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>__RequestVerificationToken)\" value=\"(?<value>[^\"]+)\">")]
    private static partial Regex FormToken();
}
