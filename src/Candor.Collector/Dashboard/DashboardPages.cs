using System.Globalization;
using System.Text.Json;
using Candor.Collector.Products;
using Candor.Protocol;

namespace Candor.Collector.Dashboard;

/// <summary>
/// The dashboard's HTML. Pages are plain server-rendered HTML: forms work without script, tables carry every
/// figure, and the page's script only turns each section's <c>data-chart</c> into a chart.
/// </summary>
internal static class DashboardPages
{
    private static readonly (int Days, string Label)[] QuickRanges = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "12 months")];

    public static string SignIn(AntiforgeryFields antiforgery, string returnUrl, string? error, string? notice)
    {
        var html = new HtmlBuilder();
        Open(html, "Sign in", session: null, products: null, current: null, charts: false);
        html.Add($"""
            <div class="sign-in">
            <h1>Sign in to the dashboard</h1>
            """);
        if (notice is not null)
        {
            html.Add($"""<p class="notice" role="status">{notice}</p>""");
        }

        var describedBy = error is null ? "token-help" : "token-error token-help";
        html.Add($"""
            <form method="post" action="/dashboard/sign-in">
            <input type="hidden" name="{antiforgery.FormFieldName}" value="{antiforgery.RequestToken}">
            <input type="hidden" name="returnUrl" value="{returnUrl}">
            <label for="token">Reader token</label>
            <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required autofocus aria-describedby="{describedBy}"{Markup.If(error is not null, "aria-invalid=\"true\"")}>
            """);
        if (error is not null)
        {
            html.Add($"""<p id="token-error" class="error" role="alert">{error}</p>""");
        }

        html.Add($"""
            <p id="token-help" class="help">A reader token starts with <code>candor_read_</code>. An admin creates one with
            <code>POST /admin/tokens</code> and <code>{"{\"role\": \"reader\"}"}</code>; admin tokens work too.</p>
            <button type="submit">Sign in</button>
            </form>
            </div>
            """);
        Close(html);
        return html.ToString();
    }

    public static string Products(DashboardSession session, IReadOnlyList<CatalogProduct> products, string baseUrl)
    {
        var html = new HtmlBuilder();
        Open(html, "Products", session, products, current: null, charts: false);
        html.Add($"<h1>Products</h1>");
        if (products.Count == 0)
        {
            html.Add($"""
                <section class="empty-state" aria-labelledby="no-products">
                <h2 id="no-products">No product is registered yet</h2>
                <p>An admin registers a product with its manifest; its page appears here at once.</p>
                <pre><code>curl -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
                  -d "{"{\\\"manifest\\\": $(cat candor.manifest.json)}"}" {baseUrl}/admin/products</code></pre>
                </section>
                """);
        }
        else
        {
            html.Add($"""<ul class="product-list">""");
            foreach (var product in products)
            {
                html.Add($"""
                    <li><a href="{ProductUrl(product.Record.Name)}">{product.Latest.Name}</a>
                    <span class="meta"><code>{product.Record.Name}</code> · {product.Latest.Events.Count} events declared · {SmallGroups.Short(product.Record.KThreshold)}</span></li>
                    """);
            }

            html.Add($"</ul>");
        }

        Close(html);
        return html.ToString();
    }

    public static string Product(
        ProductView view, DashboardSession session, IReadOnlyList<CatalogProduct> products, IReadOnlyList<string> problems, DateOnly today, string baseUrl,
        TimeSpan checkEvery)
    {
        var name = view.Product.Record.Name;
        var title = view.Product.Latest.Name;
        var here = ProductUrl(name);
        var filter = view.Filter;
        var html = new HtmlBuilder();
        Open(html, title, session, products, name, charts: view.HasDataInRange, refresh: checkEvery > TimeSpan.Zero);
        html.Add($"""<h1>{title} <span class="product-id">{name}</span></h1>""");
        if (!view.HasAnyData)
        {
            EmptyState(html, view, baseUrl);
            Freshness(html, view, checkEvery);
            Close(html);
            return html.ToString();
        }

        Filters(html, view, here, today);
        if (problems.Count > 0)
        {
            html.Add($"""<div class="error" role="alert"><ul>""");
            foreach (var problem in problems)
            {
                html.Add($"<li>{problem}</li>");
            }

            html.Add($"</ul></div>");
        }

        var hidden = view.Suppressed > 0
            ? $"This page hides {Format.Count(view.Suppressed)} {(view.Suppressed == 1 ? "group" : "groups")}; each section says how many of its own."
            : "Nothing on this page is hidden.";
        html.Add($"""
            <p class="privacy" role="note" id="suppression">{view.SmallGroups.Rule} {hidden}
            Every figure carries the same small noise as the query API's.</p>
            """);
        Freshness(html, view, checkEvery);
        html.Add($"""
            <dl class="summary">
            <div><dt>Events</dt><dd>{(view.Events is { } events ? Format.Count(events) : "hidden")}</dd></div>
            <div><dt>Installs</dt><dd>{(view.Installs is { } installs ? Format.Count(installs) : "hidden")}</dd></div>
            <div><dt>Range</dt><dd>{DashboardFilter.Day(filter.From)} to {DashboardFilter.Day(filter.To)}</dd></div>
            </dl>
            """);

        if (!view.HasDataInRange)
        {
            html.Add($"""
                <section class="empty-state" aria-labelledby="no-match">
                <h2 id="no-match">No events match</h2>
                <p>{title} sent no event from {DashboardFilter.Day(filter.From)} to {DashboardFilter.Day(filter.To)} that matches these filters.
                <a href="{here}">Show the last 30 days with no filter.</a></p>
                </section>
                """);
            Close(html);
            return html.ToString();
        }

        html.Add($"""<nav class="toc" aria-label="On this page"><ul>""");
        foreach (var group in view.Groups)
        {
            html.Add($"""<li><a href="#{group.Id}">{group.Title}</a></li>""");
        }

        html.Add($"</ul></nav>");
        foreach (var group in view.Groups)
        {
            html.Add($"""<section class="group" id="{group.Id}" aria-labelledby="{group.Id}-title"><h2 id="{group.Id}-title">{group.Title}</h2><div class="cards">""");
            foreach (var section in group.Sections)
            {
                Section(html, section, view.SmallGroups);
            }

            html.Add($"</div></section>");
        }

        Close(html);
        return html.ToString();
    }

    // When the figures were computed, and whether the page follows new events by itself (refresh.js reads the
    // version and the address to ask; without script, or with Dashboard:CheckEvery at zero, it says to reload).
    private static void Freshness(HtmlBuilder html, ProductView view, TimeSpan checkEvery)
    {
        var name = view.Product.Record.Name;
        var at = view.ComputedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var seconds = Math.Max(1, (int)Math.Round(checkEvery.TotalSeconds));
        var follows = checkEvery > TimeSpan.Zero
            ? $"This page reloads itself when new events of {name} are stored (it checks every {seconds} {(seconds == 1 ? "second" : "seconds")})."
            : "Reload the page to see events stored since.";
        html.Add($"""
            <p class="as-of" id="freshness" role="status" data-version="{view.DataVersion}" data-version-url="{ProductUrl(name)}/version" data-check-seconds="{seconds}">Figures computed at <time datetime="{view.ComputedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}">{at} UTC</time>. <span class="follows">{follows}</span></p>
            """);
    }

    /// <summary>The address of a product's page.</summary>
    public static string ProductUrl(string product) => $"/dashboard/products/{Uri.EscapeDataString(product)}";

    private static void Open(HtmlBuilder html, string title, DashboardSession? session, IReadOnlyList<CatalogProduct>? products, string? current, bool charts, bool refresh = false)
    {
        html.Add($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · Candor</title>
            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="{DashboardAssets.Url("dashboard.css")}">
            """);
        if (charts)
        {
            html.Add($"""
                <script defer src="{DashboardAssets.Url("lib/chart.umd.min.js")}"></script>
                <script defer src="{DashboardAssets.Url("dashboard.js")}"></script>
                """);
        }

        if (refresh)
        {
            html.Add($"""<script defer src="{DashboardAssets.Url("refresh.js")}"></script>""");
        }

        html.Add($"""
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header class="top">
            <a class="brand" href="/dashboard">Candor</a>
            """);
        if (session is not null)
        {
            if (products is { Count: > 0 })
            {
                html.Add($"""<nav aria-label="Products"><ul class="products">""");
                foreach (var product in products)
                {
                    html.Add($"""<li><a href="{ProductUrl(product.Record.Name)}"{Markup.If(product.Record.Name == current, "aria-current=\"page\"")}>{product.Latest.Name}</a></li>""");
                }

                html.Add($"</ul></nav>");
            }

            html.Add($"""
                <form class="sign-out" method="post" action="/dashboard/sign-out">
                <span class="who">Signed in as <strong>{session.Name}</strong></span>
                <input type="hidden" name="{session.Antiforgery.FormFieldName}" value="{session.Antiforgery.RequestToken}">
                <button type="submit">Sign out</button>
                </form>
                """);
        }

        html.Add($"""
            </header>
            <main id="main" tabindex="-1">
            """);
    }

    private static void Close(HtmlBuilder html) => html.Add($"""
        </main>
        </body>
        </html>
        """);

    private static void Filters(HtmlBuilder html, ProductView view, string here, DateOnly today)
    {
        var filter = view.Filter;
        html.Add($"""
            <form class="filters" method="get" action="{here}" aria-label="Range and filters">
            <div class="field"><label for="from">From</label><input id="from" name="from" type="date" value="{DashboardFilter.Day(filter.From)}" max="{DashboardFilter.Day(today)}"></div>
            <div class="field"><label for="to">To</label><input id="to" name="to" type="date" value="{DashboardFilter.Day(filter.To)}" max="{DashboardFilter.Day(today)}"></div>
            <div class="field"><label for="version">Version</label><select id="version" name="version">
            <option value=""{Markup.If(filter.Version is null, "selected")}>All versions</option>
            """);
        foreach (var version in view.Versions)
        {
            html.Add($"""<option value="{version}"{Markup.If(version == filter.Version, "selected")}>{version}</option>""");
        }

        html.Add($"""
            </select></div>
            <div class="field"><label for="os">OS</label><select id="os" name="os">
            <option value=""{Markup.If(filter.Os is null, "selected")}>All OS</option>
            """);
        foreach (var os in view.OperatingSystems)
        {
            html.Add($"""<option value="{os}"{Markup.If(os == filter.Os, "selected")}>{os}</option>""");
        }

        html.Add($"""
            </select></div>
            <div class="field"><label for="ci">Runs</label><select id="ci" name="ci">
            <option value=""{Markup.If(filter.Ci is null, "selected")}>All runs</option>
            <option value="false"{Markup.If(filter.Ci == false, "selected")}>Outside CI only</option>
            <option value="true"{Markup.If(filter.Ci == true, "selected")}>In CI only</option>
            </select></div>
            <div class="actions"><button type="submit">Apply</button> <a href="{here}">Reset</a></div>
            </form>
            <nav class="ranges" aria-label="Quick ranges"><span>Show the last</span>
            """);
        foreach (var (days, label) in QuickRanges)
        {
            var range = filter with { From = today.AddDays(-(days - 1)), To = today };
            html.Add($"""<a href="{here + range.ToQueryString()}"{Markup.If(range == filter, "aria-current=\"true\"")}>{label}</a> """);
        }

        html.Add($"</nav>");
    }

    private static void Section(HtmlBuilder html, Section section, SmallGroups smallGroups)
    {
        html.Add($"""<article class="card{(section.Chart is ChartKind.None ? " wide" : "")}" id="{section.Id}" aria-labelledby="{section.Id}-title"><h3 id="{section.Id}-title">{section.Title}</h3>""");
        if (section.Description.Length > 0)
        {
            html.Add($"""<p class="description">{section.Description}</p>""");
        }

        if (section.Note is not null)
        {
            html.Add($"""<p class="note">{section.Note}</p>""");
        }

        if (section.Rows.Count == 0)
        {
            html.Add($"""<p class="nothing">{section.Nothing ?? (section.Suppressed > 0 ? smallGroups.AllHidden : "No data in this range.")}</p>""");
        }
        else if (section.Chart is ChartKind.None)
        {
            Table(html, section);
        }
        else
        {
            var label = $"{section.Chart switch { ChartKind.Line => "Line chart", ChartKind.Column => "Column chart of the periods with figures", _ => "Bar chart" }}: {section.Title}. The same figures are in the table that follows.";
            html.Add($"""
                <div class="chart"><canvas role="img" aria-label="{label}" data-chart="{ChartJson.Of(section)}">{label}</canvas></div>
                <details><summary>Show the figures as a table</summary>
                """);
            Table(html, section);
            html.Add($"</details>");
        }

        if (section.Suppressed > 0 && section.Rows.Count > 0)
        {
            html.Add($"""<p class="hidden-note">{SmallGroups.MoreHidden(section.Suppressed)}</p>""");
        }

        html.Add($"</article>");
    }

    private static void Table(HtmlBuilder html, Section section)
    {
        html.Add($"""
            <div class="table-wrap" role="region" aria-label="{section.Title}, table" tabindex="0">
            <table><caption class="visually-hidden">{section.Title}</caption><thead><tr>
            """);
        foreach (var column in section.Columns)
        {
            html.Add($"""<th scope="col"{Markup.If(column.Measure is not Measure.Text, "class=\"number\"")}>{column.Title}</th>""");
        }

        html.Add($"</tr></thead><tbody>");
        foreach (var row in section.Rows)
        {
            html.Add($"<tr>");
            for (var i = 0; i < row.Count; i++)
            {
                var column = section.Columns[i];
                var cell = Format.Cell(row[i], column.Measure);
                if (i == 0 && section.Chart is ChartKind.None)
                {
                    html.Add($"""<th scope="row"><code>{cell}</code></th>""");
                }
                else if (i == 0)
                {
                    html.Add($"""<th scope="row">{cell}</th>""");
                }
                else
                {
                    html.Add($"""<td{Markup.If(column.Measure is not Measure.Text, "class=\"number\"")}>{cell}</td>""");
                }
            }

            html.Add($"</tr>");
        }

        html.Add($"</tbody></table></div>");
    }

    private static void EmptyState(HtmlBuilder html, ProductView view, string baseUrl)
    {
        var name = view.Product.Record.Name;
        html.Add($"""
            <section class="empty-state" aria-labelledby="empty-title">
            <h2 id="empty-title">No events from {view.Product.Latest.Name} yet</h2>
            <p>This collector has not received any event for <code>{name}</code>. Three steps send the first one:</p>
            <ol>
            <li><p><strong>Create an ingestion key</strong> for the product, with an admin token:</p>
            <pre><code>curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" {baseUrl}/admin/products/{name}/keys</code></pre></li>
            <li><p><strong>Build the tool with the key and this collector's address.</strong> A build without the key never sends anything.</p>
            <pre><code>dotnet build -p:CandorIngestionKey=$KEY -p:CandorEndpoint={baseUrl}</code></pre>
            <p class="help">The SDK sends only to <code>https://</code> addresses, or to <code>http://</code> on the same machine (loopback).</p></li>
            <li><p><strong>Run a command of the tool twice.</strong> The first run only shows the telemetry notice and records nothing. From the second on, each run's events leave when it exits: its <code>candor-upload</code> process sends them within seconds. Events that could not leave wait on that machine; <code>candor pending</code> lists them and <code>candor send</code> sends them now.</p></li>
            </ol>
            <p>To check the collector first, send one event by hand:</p>
            <pre><code>curl -H "X-Candor-Key: $KEY" -H 'Content-Type: application/json' \
              -d '{SampleBatch(view)}' {baseUrl}/v1/events</code></pre>
            </section>
            """);
    }

    // The smallest valid batch: one declared event with no properties (every property is optional) and a plain
    // context. Its IDs follow from the product and the time, so the page reads the same until its figures change.
    private static string SampleBatch(ProductView view)
    {
        var seed = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{view.Product.Record.Name}|{view.ComputedAt:O}"));
        Guid Id(int part) => new(seed.AsSpan(part * 8, 16));
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray(WireNames.Events);
            json.WriteStartObject();
            json.WriteString(WireNames.Id, Id(0));
            json.WriteString(WireNames.Name, view.Product.Latest.Events[0].Name);
            json.WriteString(WireNames.Time, view.ComputedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            json.WriteString(WireNames.Product, view.Product.Record.Name);
            json.WriteNumber(WireNames.Revision, view.Product.Latest.Revision);
            json.WriteString(WireNames.Install, Id(1));
            json.WriteString(WireNames.Session, Id(2));
            json.WriteStartObject(WireNames.Context);
            json.WriteString(WireNames.ContextMembers.Version, "1.0.0");
            json.WriteString(WireNames.ContextMembers.Os, "linux");
            json.WriteString(WireNames.ContextMembers.OsVersion, "debian 12");
            json.WriteString(WireNames.ContextMembers.Arch, "x64");
            json.WriteString(WireNames.ContextMembers.Runtime, "8.0.11");
            json.WriteString(WireNames.ContextMembers.Host, "process");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
