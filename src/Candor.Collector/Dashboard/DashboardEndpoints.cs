using System.Globalization;
using System.Security.Claims;
using Candor.Collector.Access;
using Candor.Collector.Products;
using Candor.Collector.Query;
using Candor.Collector.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Dashboard;

/// <summary>
/// The dashboard: sign-in with a reader (or admin) token that becomes a cookie session, a page per product
/// computed through <see cref="QueryService"/>, and its assets. Pages are rendered on the server (tables are
/// real HTML); the page's script only draws the charts. The query API itself stays bearer-only, so the cookie
/// can never be used to call it from another site.
/// </summary>
internal static class DashboardEndpoints
{
    public const string Scheme = "CandorDashboard";
    public const string Policy = "dashboard";

    private const string ReturnUrlField = "returnUrl";

    // Scripts, styles and forms only from the collector itself; the chart data travels in data attributes, not inline
    // scripts. The only request a script makes is the product page asking its own collector for the data version.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DashboardOptions>, DashboardOptionsValidator>();
        services.AddSingleton<ProductViewBuilder>();
        services.AddSingleton<ProductDataVersions>();
        services.AddSingleton<ProductViews>();
        services.AddSingleton<SignInBackoff>();
        services.AddHostedService<DashboardWarmup>();

        // Session cookies and form tokens are protected with keys kept in the data folder, so a restart does not sign everyone out.
        services.AddDataProtection().SetApplicationName("Candor.Collector");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<StorageOptions>, ILoggerFactory>((keys, storage, logs) =>
            keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(storage.Value.FullDataPath, "keys")), logs));

        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "candor_antiforgery";
            o.Cookie.Path = "/dashboard";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.HttpOnly = true;
        });
        services.AddAuthentication().AddCookie(Scheme, o =>
        {
            o.Cookie.Name = "candor_session";
            o.Cookie.Path = "/dashboard";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SlidingExpiration = true;
            o.LoginPath = "/dashboard/sign-in";
            o.AccessDeniedPath = "/dashboard/sign-in";
            o.ReturnUrlParameter = ReturnUrlField;
            o.Events.OnValidatePrincipal = ValidateSessionAsync;
        });
        services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<IOptions<DashboardOptions>>((cookie, dashboard) =>
            cookie.ExpireTimeSpan = dashboard.Value.SessionLifetime);
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p
            .AddAuthenticationSchemes(Scheme)
            .RequireRole(nameof(CredentialRole.Reader), nameof(CredentialRole.Admin)));
        return builder;
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", () => TypedResults.Redirect("/dashboard")).ExcludeFromDescription();

        var dashboard = routes.MapGroup("/dashboard").ExcludeFromDescription();
        dashboard.MapGet("/assets/{**path}", (string path, HttpContext http) => DashboardAssets.Serve(path, http));

        var pages = dashboard.MapGroup("").AddEndpointFilter(async (context, next) =>
        {
            var headers = context.HttpContext.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            // What antiforgery would set anyway (it warns when it has to override anything else).
            headers.CacheControl = "no-cache, no-store";
            headers.Pragma = "no-cache";
            return await next(context);
        });
        pages.MapGet("/sign-in", SignInForm);
        pages.MapPost("/sign-in", SignInAsync).DisableAntiforgery();

        var signedIn = pages.MapGroup("").RequireAuthorization(Policy);
        signedIn.MapGet("", ProductList);
        signedIn.MapGet("/products/{product}", ProductAsync);
        signedIn.MapGet("/products/{product}/version", DataVersion);
        signedIn.MapPost("/sign-out", SignOutAsync).DisableAntiforgery();
        return routes;
    }

    private static ContentHttpResult SignInForm(HttpContext http, IAntiforgery antiforgery, string? returnUrl, string? signedOut) =>
        SignInPage(http, antiforgery, LocalReturnUrl(returnUrl), error: null, signedOut is null ? null : "You are signed out.", StatusCodes.Status200OK);

    // The form's token is checked by hand (not by the antiforgery middleware) so that an expired form gets the
    // sign-in page back with a sentence, rather than a bare 400.
    private static async Task<IResult> SignInAsync(
        HttpContext http, IAntiforgery antiforgery, CredentialService credentials, AuditLog audit, RefusedCredentials refusals, SignInBackoff backoff, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var logger = logs.CreateLogger(typeof(DashboardEndpoints));
        var (form, formProblem) = await DashboardForm.ReadAsync(http, logger, cancellationToken);
        if (formProblem is not null)
        {
            return formProblem;
        }

        var returnUrl = LocalReturnUrl(form![ReturnUrlField]);
        if (backoff.WaitFor(http) is { Ticks: > 0 } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            refusals.Record(http, RefusedCredentials.SignIn, "waiting after failed sign-ins", credential: null);
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return SignInPage(http, antiforgery, returnUrl,
                $"Too many failed sign-ins from your network. Try again in {seconds} seconds.", StatusCodes.Status429TooManyRequests);
        }

        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return SignInPage(http, antiforgery, returnUrl, "The sign-in form had expired or did not come from this page. Enter the token again.", StatusCodes.Status400BadRequest);
        }

        var credential = credentials.Find(form["token"].ToString().Trim());
        if (credential is null || credential.Role is CredentialRole.Ingestion)
        {
            DashboardLog.SignInRefused(logger);
            backoff.Failed(http);
            refusals.Record(http, RefusedCredentials.SignIn, credential is null ? "unknown" : "an ingestion key is not a token", credential);
            return SignInPage(http, antiforgery, returnUrl,
                "That token was not accepted: it is not a reader or admin token of this collector, or it was revoked. Check that you copied all of it.",
                StatusCodes.Status401Unauthorized);
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, credential.Name),
                new Claim(ClaimTypes.Role, credential.Role.ToString()),
                new Claim(TokenAuthentication.CredentialIdClaim, credential.Id.ToString(CultureInfo.InvariantCulture)),
            ],
            Scheme));
        backoff.Succeeded(http);
        await http.SignInAsync(Scheme, principal);
        await audit.RecordAsync(principal, "dashboard.sign-in", "dashboard", "", cancellationToken);
        DashboardLog.SignedIn(logger, TokenAuthentication.Actor(principal));
        return TypedResults.LocalRedirect(returnUrl);
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, IAntiforgery antiforgery, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        // Read here, within the form's limits, so that antiforgery finds it read instead of reading an unbounded body itself.
        var (_, formProblem) = await DashboardForm.ReadAsync(http, logs.CreateLogger(typeof(DashboardEndpoints)), cancellationToken);
        if (formProblem is not null)
        {
            return formProblem;
        }

        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return TypedResults.BadRequest("The sign-out form had expired; reload the page and sign out again.");
        }

        await http.SignOutAsync(Scheme);
        return TypedResults.LocalRedirect("/dashboard/sign-in?signedOut=1");
    }

    private static ContentHttpResult ProductList(HttpContext http, IAntiforgery antiforgery, ProductCatalog catalog, CredentialService credentials) =>
        Page(DashboardPages.Products(Session(http, antiforgery), Readable(http, catalog, credentials), BaseUrl(http)));

    private static async Task<IResult> ProductAsync(
        string product, HttpContext http, IAntiforgery antiforgery, ProductCatalog catalog, CredentialService credentials, QueryService queries, ProductViews views,
        IOptions<DashboardOptions> options, CancellationToken cancellationToken)
    {
        // A product the token was not made for is answered as one that does not exist: its name is not the reader's.
        if (catalog.Find(product) is not { } found || !ProductAccess.Allows(http.User, credentials, product))
        {
            return TypedResults.NotFound($"no product '{product}'");
        }

        var today = queries.Today;
        var filter = DashboardFilter.Parse(http.Request.Query, today, out var problems);
        var view = await views.GetAsync(found, filter, cancellationToken);
        return Page(DashboardPages.Product(
            view, Session(http, antiforgery), Readable(http, catalog, credentials), problems, today, BaseUrl(http), options.Value.CheckEvery));
    }

    // What an open product page asks every Dashboard:CheckEvery to know whether to reload: a few bytes, no query.
    private static IResult DataVersion(string product, HttpContext http, ProductCatalog catalog, CredentialService credentials, ProductViews views)
    {
        if (catalog.Find(product) is null || !ProductAccess.Allows(http.User, credentials, product))
        {
            return TypedResults.NotFound($"no product '{product}'");
        }

        return TypedResults.Text(views.DataVersion(product), "text/plain; charset=utf-8");
    }

    private static List<CatalogProduct> Readable(HttpContext http, ProductCatalog catalog, CredentialService credentials) =>
        [.. catalog.All.Where(p => ProductAccess.Allows(http.User, credentials, p.Record.Name))];

    // A session ends as soon as its token is revoked, not when the cookie expires.
    private static Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var credentials = context.HttpContext.RequestServices.GetRequiredService<CredentialService>();
        var id = context.Principal?.FindFirstValue(TokenAuthentication.CredentialIdClaim);
        if (!credentials.Live.Any(c => c.Role is not CredentialRole.Ingestion && c.Id.ToString(CultureInfo.InvariantCulture) == id))
        {
            context.RejectPrincipal();
            return context.HttpContext.SignOutAsync(Scheme);
        }

        return Task.CompletedTask;
    }

    private static ContentHttpResult SignInPage(HttpContext http, IAntiforgery antiforgery, string returnUrl, string? error, string? notice, int status) =>
        Page(DashboardPages.SignIn(Fields(antiforgery.GetAndStoreTokens(http)), returnUrl, error, notice), status);

    private static ContentHttpResult SignInPage(HttpContext http, IAntiforgery antiforgery, string returnUrl, string error, int status) =>
        SignInPage(http, antiforgery, returnUrl, error, notice: null, status);

    private static ContentHttpResult Page(string html, int status = StatusCodes.Status200OK) =>
        TypedResults.Content(html, "text/html; charset=utf-8", statusCode: status);

    private static DashboardSession Session(HttpContext http, IAntiforgery antiforgery) =>
        new(http.User.Identity?.Name ?? "?", Fields(antiforgery.GetAndStoreTokens(http)));

    private static AntiforgeryFields Fields(AntiforgeryTokenSet tokens) => new(tokens.FormFieldName, tokens.RequestToken ?? "");

    private static string BaseUrl(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";

    // Only a path inside the dashboard: never another site ("//evil.example", "/\evil.example") after signing in.
    private static string LocalReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url.StartsWith("/dashboard", StringComparison.Ordinal) && !url.Contains('\\', StringComparison.Ordinal) && !url.StartsWith("//", StringComparison.Ordinal)
            ? url
            : "/dashboard";
}

/// <summary>Who is signed in, and the form fields the sign-out button posts.</summary>
internal sealed record DashboardSession(string Name, AntiforgeryFields Antiforgery);

/// <summary>The hidden form field that proves a form came from the dashboard.</summary>
internal sealed record AntiforgeryFields(string FormFieldName, string RequestToken);
