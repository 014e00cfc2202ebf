using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Candor.Collector.Tests;
using Microsoft.Playwright;

namespace Candor.Dashboard.Tests;

/// <summary>The dashboard as a person uses it: in a real headless Chromium, against a real collector.</summary>
[Collection(BrowserTests.Name)]
public sealed class DashboardPageTests(Browser browser, AcmeCollector acme)
{
    private const string ProductPath = "/dashboard/products/acme";

    [BrowserFact]
    public async Task SignIn_WithReaderToken_OpensThePageAskedForInACookieSession()
    {
        var reader = acme.Reader;
        await using var context = await browser.NewContextAsync(acme.Collector.BaseAddress);
        var page = await context.NewPageAsync();
        var errors = Errors(page);

        await page.GotoAsync(ProductPath + "?ci=false");
        Assert.Contains("/dashboard/sign-in", page.Url);
        await Screenshots.TakeAsync(page, "sign-in");
        await page.GetByLabel("Reader token").FillAsync(reader);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ChartsDrawnAsync(page);

        Assert.EndsWith(ProductPath + "?ci=false", page.Url);
        var session = Assert.Single(await context.CookiesAsync(), c => c.Name == "candor_session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.False(session.Secure); // plain HTTP on loopback; Secure is set whenever the request came over HTTPS
        Assert.Equal("/dashboard", session.Path);
        Assert.Equal("Outside CI only", await page.GetByLabel("Runs").Locator("option:checked").InnerTextAsync());
        Assert.Empty(errors);
    }

    [BrowserFact]
    public async Task SignIn_WithWrongToken_IsRefusedWithAClearMessage()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync(Acme.ManifestJson);
        await using var context = await browser.NewContextAsync(collector.BaseAddress);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/dashboard/sign-in");

        foreach (var wrong in new[] { "candor_read_not-a-token-of-this-collector", key })
        {
            await page.GetByLabel("Reader token").FillAsync(wrong);
            var response = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(), r => r.Request.Method == "POST");

            Assert.Equal(401, response.Status);
            Assert.Contains("/dashboard/sign-in", page.Url);
            Assert.Contains("That token was not accepted", await page.GetByRole(AriaRole.Alert).InnerTextAsync());
            Assert.Equal("true", await page.GetByLabel("Reader token").GetAttributeAsync("aria-invalid"));
        }

        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "candor_session");
        await Screenshots.TakeAsync(page, "sign-in-refused");
    }

    [BrowserFact]
    public async Task Filters_ChangeTheChartsAndStayInTheAddress()
    {
        var page = await SignedInAsync();
        await page.GotoAsync(ProductPath);
        await ChartsDrawnAsync(page);
        var all = await ChartValuesAsync(page, "events");

        await page.GetByLabel("Version", new() { Exact = true }).SelectOptionAsync("1.3.0");
        await page.GetByLabel("Runs").SelectOptionAsync("false");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("version=1\\.3\\.0"));
        await ChartsDrawnAsync(page);
        var filtered = await ChartValuesAsync(page, "events");

        Assert.Contains("ci=false", page.Url);
        var api = await ApiAsync("events?interval=day&version=1.3.0&ci=false&from=2026-02-09&to=2026-03-10");
        Assert.Equal(api["rows"]!.AsArray().Sum(r => r!["events"]!.GetValue<long>()), filtered.Sum());
        Assert.True(filtered.Sum() < all.Sum());

        // The address alone gives the same view: it can be shared.
        var shared = await SignedInAsync();
        await shared.GotoAsync(page.Url);
        await ChartsDrawnAsync(shared);
        Assert.Equal(filtered, await ChartValuesAsync(shared, "events"));
        Assert.Equal("1.3.0", await shared.GetByLabel("Version", new() { Exact = true }).InputValueAsync());
    }

    [BrowserFact]
    public async Task SmallGroups_AreHiddenExactlyAsTheQueryApiHidesThem_AndThePageSaysSo()
    {
        var page = await SignedInAsync();

        await page.GotoAsync(ProductPath);
        await ChartsDrawnAsync(page);

        var api = await ApiAsync("shares/version?from=2026-02-09&to=2026-03-10");
        var versions = page.Locator("#version-shares table tbody th");
        Assert.Equal(api["rows"]!.AsArray().Select(r => r!["value"]!.GetValue<string>()), await versions.AllTextContentsAsync());
        Assert.Equal(1, api["suppressed"]!.GetValue<int>());
        Assert.Contains("1 more group is hidden: too few installs.", await page.Locator("#version-shares").InnerTextAsync());
        Assert.DoesNotContain(AcmeCollector.PreviewVersion, await page.ContentAsync());
        Assert.Matches(
            "Groups with too few distinct installs are hidden, exactly as the query API hides them: the cut-off is about 5 installs, with a little noise, " +
            "so a group of 2 installs or fewer is always hidden and one of 7 installs or more always shown\\. This page hides \\d+ groups?;",
            await page.Locator("#suppression").InnerTextAsync());
        Assert.DoesNotContain("fewer than 5", await page.Locator("main").InnerTextAsync());

        // Only hidden installs match: every section says so in words, none counts "0 most used versions".
        await page.GotoAsync(ProductPath + "?version=" + AcmeCollector.PreviewVersion);
        var main = await page.Locator("main").InnerTextAsync();
        Assert.Contains("Active installs of the most used versions, per day.", main);
        Assert.Contains("No version is shown: each has too few installs.", await page.Locator("#adoption").InnerTextAsync());
        Assert.Contains("Everything here is hidden: no group has enough installs (about 5 or more).", await page.Locator("#events").InnerTextAsync());
        Assert.DoesNotContain(" 0 most used", main);
    }

    [BrowserFact]
    public async Task OpenPage_ReloadsItselfWhenNewEventsAreStored_AndDrawsOneDayAsAColumn()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Dashboard:CheckEvery"] = "00:00:01" });
        var key = await collector.RegisterAsync(Acme.ManifestJson, k: 1);
        await SendAsync(collector, key, 12);
        var reader = await collector.CreateReaderAsync();
        var page = await SignedInAsync(collector, reader);
        var errors = Errors(page);
        await page.GotoAsync(ProductPath);
        await ChartsDrawnAsync(page);
        var before = await page.Locator("#freshness").GetAttributeAsync("data-version");
        Assert.Matches("^Figures computed at 2026-03-10 12:00:00 UTC\\. This page reloads itself when new events of acme are stored \\(it checks every 1 second\\)\\.$",
            await page.Locator("#freshness").InnerTextAsync());

        // One day of data: a column in the middle with its value, not a dot at the right edge of 30 days.
        var chart = await page.EvaluateAsync<JsonElement>(
            "() => { const c = Chart.getChart(document.querySelector('#events canvas')); const bar = c.getDatasetMeta(0).data[0]; " +
            "return { type: c.config.type, labels: c.data.labels, x: bar.x, width: c.chartArea.left + c.chartArea.right }; }");
        Assert.Equal("bar", chart.GetProperty("type").GetString());
        Assert.Equal(["2026-03-10"], chart.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(chart.GetProperty("width").GetDouble() / 2, chart.GetProperty("x").GetDouble(), 1.0);
        await Screenshots.TakeAsync(page, "one-day");

        await SendAsync(collector, key, 3);

        // The page reloads by itself: no reload here, only a bounded wait for it to show the new data version (the
        // noisy total itself may come out the same by chance).
        await page.WaitForFunctionAsync("old => document.querySelector('#freshness')?.getAttribute('data-version') !== old", before);
        await ChartsDrawnAsync(page);
        var api = await collector.Client(reader).GetFromJsonAsync<JsonObject>("/query/acme/events?interval=total");
        Assert.Equal(long.Parse(await page.Locator(".summary dd").First.InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture), api!["rows"]![0]!["events"]!.GetValue<long>());
        Assert.Empty(errors);
    }

    [BrowserFact]
    public async Task EmptyProduct_SaysHowToSendTheFirstEvent_AndTheStepsWork()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Dashboard:CheckEvery"] = "00:00:01" });
        var key = await collector.RegisterAsync(Acme.ManifestJson, k: 1);
        var reader = await collector.CreateReaderAsync();
        var page = await SignedInAsync(collector, reader);

        await page.GotoAsync(ProductPath);

        Assert.Equal("No events from Acme CLI yet", await page.GetByRole(AriaRole.Heading, new() { Level = 2 }).InnerTextAsync());
        var steps = await page.Locator(".empty-state").InnerTextAsync();
        Assert.Contains($"{collector.BaseAddress.ToString().TrimEnd('/')}/admin/products/acme/keys", steps);
        Assert.Contains("-p:CandorIngestionKey=$KEY", steps);
        Assert.Contains("The first run only shows the telemetry notice and records nothing.", steps);
        Assert.Contains("candor send sends them now", steps);

        // The documented screenshot shows the address of a collector started as the README says, not this test's
        // random port, so a test run leaves docs/dashboard unchanged.
        await page.Locator(".empty-state").EvaluateAsync(
            "(element, address) => element.querySelectorAll('*').forEach(node => node.childNodes.forEach(text => { if (text.nodeType === 3) text.textContent = text.textContent.split(address[0]).join(address[1]); }))",
            new[] { collector.BaseAddress.ToString().TrimEnd('/'), "http://127.0.0.1:5080" });
        await Screenshots.TakeAsync(page, "empty");

        var handMade = Regex.Match(steps, "-d '(?<json>.+?)'", RegexOptions.Singleline).Groups["json"].Value;
        var sent = await collector.PostRawAsync(key, System.Text.Encoding.UTF8.GetBytes(handMade), gzip: false);
        Assert.Equal(1, (await TestCollector.ReadBatchAsync(sent)).Accepted);

        // The waiting page shows the first event by itself.
        await page.Locator(".summary dd").First.WaitForAsync();
        await ChartsDrawnAsync(page);

        // One event, published with the query API's noise (so not necessarily "1"): the page shows the API's figure.
        var api = await collector.Client(reader).GetFromJsonAsync<JsonObject>("/query/acme/events?interval=total");
        Assert.Equal(api!["rows"]![0]!["events"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture), await page.Locator(".summary dd").First.InnerTextAsync());
    }

    [BrowserFact]
    public async Task Keyboard_ReachesEveryControl_WithVisibleFocus()
    {
        var page = await SignedInAsync();
        await page.GotoAsync(ProductPath);
        await ChartsDrawnAsync(page);

        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to content", await page.EvaluateAsync<string>("document.activeElement.textContent"));
        Assert.NotEqual("none", await page.EvaluateAsync<string>("getComputedStyle(document.activeElement).outlineStyle"));
        await page.Keyboard.PressAsync("Enter");
        Assert.Equal("main", await page.EvaluateAsync<string>("document.activeElement.id"));

        await TabToAsync(page, "select#version");
        await page.Keyboard.PressAsync("ArrowDown");
        var chosen = await page.EvaluateAsync<string>("document.activeElement.value");
        Assert.NotEqual("", chosen);
        await TabToAsync(page, "button[type=submit]");
        Assert.NotEqual("none", await page.EvaluateAsync<string>("getComputedStyle(document.activeElement).outlineStyle"));
        // The wait is registered before the key is pressed: on a busy machine the navigation can begin before a
        // wait started afterwards, which then never sees it.
        var navigated = page.WaitForURLAsync(new Regex("version=" + Regex.Escape(chosen)));
        await page.Keyboard.PressAsync("Enter");
        await navigated;
        await ChartsDrawnAsync(page);

        await TabToAsync(page, "#events summary");
        await page.Keyboard.PressAsync("Enter");
        Assert.True(await page.Locator("#events table").IsVisibleAsync());
    }

    [BrowserFact]
    public async Task MainViews_ReadAt1280AndAtPhoneWidth_AndSignOutEndsTheSession()
    {
        var page = await SignedInAsync();
        await page.GotoAsync(ProductPath);
        await ChartsDrawnAsync(page);

        await Screenshots.TakeAsync(page, "product");
        Assert.Equal(0, await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth"));
        Assert.True(await page.Locator("#durations canvas").First.IsVisibleAsync());
        Assert.Contains("command-failed per command, by packages", await page.Locator("#failures").InnerTextAsync());
        Assert.Contains("System.IO.IOException at Acme.Cli.Download.Fetch", await page.Locator("#exceptions").InnerTextAsync());
        await page.SetViewportSizeAsync(375, 812);
        await page.ReloadAsync();
        await ChartsDrawnAsync(page);
        Assert.Equal(0, await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        Assert.Contains("You are signed out.", await page.GetByRole(AriaRole.Status).InnerTextAsync());
        await page.GotoAsync(ProductPath);
        Assert.Contains("/dashboard/sign-in", page.Url);
    }

    private async Task<IPage> SignedInAsync(TestCollector collector, string token)
    {
        var context = await browser.NewContextAsync(collector.BaseAddress);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/dashboard/sign-in");
        await page.GetByLabel("Reader token").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/dashboard");
        return page;
    }

    private static async Task SendAsync(TestCollector collector, string key, int count)
    {
        var events = Enumerable.Range(0, count).Select(_ => Acme.Event("command", Guid.NewGuid(), Some.Now.AddHours(-1))).ToArray();
        Assert.Equal(count, (await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, events))).Accepted);
    }

    // On the shared collector, signed in over HTTP: the sign-in form itself is tested above.
    private async Task<IPage> SignedInAsync() => await (await acme.SignedInAsync(browser)).NewPageAsync();

    private static Task ChartsDrawnAsync(IPage page) => page.Locator("body[data-charts-drawn]").WaitForAsync();

    private static async Task<double[]> ChartValuesAsync(IPage page, string section) =>
        await page.EvaluateAsync<double[]>(
            "id => Chart.getChart(document.querySelector('#' + id + ' canvas')).data.datasets[0].data.map(v => v ?? 0)", section);

    private static async Task TabToAsync(IPage page, string selector)
    {
        for (var i = 0; i < 80; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>("s => document.activeElement.matches(s)", selector))
            {
                return;
            }
        }

        Assert.Fail($"Tab never reached {selector}");
    }

    private static List<string> Errors(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Add(error);
        return errors;
    }

    private async Task<JsonObject> ApiAsync(string query) =>
        (await acme.Collector.Client(acme.Reader).GetFromJsonAsync<JsonObject>($"/query/acme/{query}"))!;
}
