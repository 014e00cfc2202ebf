using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Candor.Collector.Access;
using Candor.Collector.Operations;
using Candor.Collector.Storage;
using Candor.Manifest;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Candor.Collector.Products;

/// <summary>
/// Admin endpoints that register products with their manifests, manage their ingestion keys, and delete one install's
/// data on an administrator's word (for installs stored before deletion proofs existed, whose owners cannot prove them).
/// </summary>
internal static class ProductEndpoints
{
    public static IEndpointRouteBuilder MapProducts(this IEndpointRouteBuilder routes)
    {
        var products = routes.MapGroup("/admin/products")
            .RequireAuthorization(TokenAuthentication.AdminPolicy)
            .WithTags("Products");

        products.MapPost("/", RegisterAsync);
        products.MapGet("/", (ProductCatalog catalog) => TypedResults.Ok(catalog.All.Select(ProductInfo.From)));
        products.MapGet("/{product}", Get);
        products.MapPatch("/{product}", UpdateAsync);
        products.MapPost("/{product}/keys", CreateKeyAsync);
        products.MapGet("/{product}/keys", ListKeys);
        products.MapDelete("/{product}/keys/{id:long}", RevokeKeyAsync);
        products.MapDelete("/{product}/installs/{install:guid}", DeleteInstallAsync);
        return routes;
    }

    // What an install's own deletion request does (see DeletionEndpoints), without its proof: an administrator acts
    // for a user whose install was stored before verifiers existed, or who lost the secret. Audited under the
    // administrator's name, with the count and never the install, as keeping the ID would undo the deletion.
    private static async Task<Results<Ok<Candor.Protocol.DeleteInstallResponse>, NotFound>> DeleteInstallAsync(
        string product, Guid install, ClaimsPrincipal user, ProductCatalog catalog, IEventLog store, AuditLog audit, Dashboard.ProductViews views, CancellationToken cancellationToken)
    {
        if (catalog.Find(product) is null)
        {
            return TypedResults.NotFound();
        }

        var deleted = await store.DeleteInstallAsync(product, install, CancellationToken.None);
        views.Forget(product);
        await audit.RecordAsync(user, "install.delete", product, $"{deleted.ToString(CultureInfo.InvariantCulture)} raw events of one install, by an administrator", CancellationToken.None);
        return TypedResults.Ok(new Candor.Protocol.DeleteInstallResponse { Deleted = deleted });
    }

    private static async Task<Results<Created<ProductInfo>, Ok<ProductInfo>, BadRequest<ManifestProblem>, Conflict<ManifestProblem>>> RegisterAsync(
        RegisterProductRequest request, HttpContext http, ClaimsPrincipal user, ProductCatalog catalog, AuditLog audit, ILogger<ProductCatalog> logger, CancellationToken cancellationToken)
    {
        if (request.Manifest.ValueKind is not JsonValueKind.Object)
        {
            return Refuse(logger, http, request.Manifest.ValueKind is JsonValueKind.Undefined
                ? "give the manifest as 'manifest': {\"manifest\": { ... }, \"kThreshold\": 1}"
                : "'manifest' must be the manifest's JSON object");
        }

        if (Settings.Check(request.RetentionMonths, request.KThreshold) is { } problem)
        {
            return Refuse(logger, http, problem);
        }

        // The JSON reader checks a string's UTF-8 only when the string is read: a manifest holding bytes that are not
        // UTF-8 is refused here, where it can be named, not when its text is taken below.
        var raw = JsonMarshal.GetRawUtf8Value(request.Manifest);
        if (!Utf8.IsValid(raw))
        {
            return Refuse(logger, http, "the manifest holds text that is not valid UTF-8");
        }

        RegistrationOutcome outcome;
        CatalogProduct product;
        TelemetryManifest manifest;
        try
        {
            (outcome, product, manifest) = await catalog.RegisterAsync(Encoding.UTF8.GetString(raw), request.RetentionMonths, request.KThreshold, cancellationToken);
        }
        catch (ManifestException ex)
        {
            var named = request.Manifest.TryGetProperty("product", out var name) && name.ValueKind is JsonValueKind.String ? $" for '{name.GetString()}'" : "";
            CollectorLog.ManifestRefused(logger, named, string.Join("; ", ex.Errors));
            return TypedResults.BadRequest(new ManifestProblem(ex.Errors));
        }

        if (outcome is RegistrationOutcome.Conflict)
        {
            var conflict = $"revision {manifest.Revision} of '{manifest.Product}' is already registered with different content; raise 'revision' to register a change";
            CollectorLog.ManifestRefused(logger, $" for '{manifest.Product}'", conflict);
            return TypedResults.Conflict(new ManifestProblem([conflict]));
        }

        await audit.RecordAsync(user, "product.register", manifest.Product,
            $"revision {manifest.Revision} ({outcome}); retention {product.Record.RetentionMonths} months; k {product.Record.KThreshold}", cancellationToken);
        CollectorLog.ProductRegistered(logger, manifest.Product, manifest.Revision);
        var info = ProductInfo.From(product);
        return outcome is RegistrationOutcome.Created
            ? TypedResults.Created($"/admin/products/{manifest.Product}", info)
            : TypedResults.Ok(info);
    }

    private static Results<Ok<ProductInfo>, NotFound<ManifestProblem>> Get(string product, ProductCatalog catalog) =>
        catalog.Find(product) is { } p ? TypedResults.Ok(ProductInfo.From(p)) : NotRegistered(product);

    private static async Task<Results<Ok<ProductInfo>, NotFound<ManifestProblem>, BadRequest<ManifestProblem>>> UpdateAsync(
        string product, ProductSettings request, HttpContext http, ClaimsPrincipal user, ProductCatalog catalog, AuditLog audit, ILogger<ProductCatalog> logger, CancellationToken cancellationToken)
    {
        if (Settings.Check(request.RetentionMonths, request.KThreshold) is { } problem)
        {
            return Refuse(logger, http, problem);
        }

        var updated = await catalog.UpdateSettingsAsync(product, request.RetentionMonths, request.KThreshold, cancellationToken);
        if (updated is null)
        {
            return NotRegistered(product);
        }

        await audit.RecordAsync(user, "product.settings", product,
            $"retention {updated.Record.RetentionMonths} months; k {updated.Record.KThreshold}", cancellationToken);
        return TypedResults.Ok(ProductInfo.From(updated));
    }

    private static async Task<Results<Created<CreatedSecret>, NotFound<ManifestProblem>>> CreateKeyAsync(
        string product, CreateKeyRequest? request, ClaimsPrincipal user, ProductCatalog catalog, CredentialService credentials, AuditLog audit, CancellationToken cancellationToken)
    {
        if (catalog.Find(product) is null)
        {
            return NotRegistered(product);
        }

        var name = string.IsNullOrWhiteSpace(request?.Name) ? "ingestion key" : request.Name.Trim();
        var (credential, secret) = await credentials.CreateAsync(CredentialRole.Ingestion, product, name, cancellationToken);
        await audit.RecordAsync(user, "key.create", product, $"ingestion key {credential.Id} '{name}'", cancellationToken);
        return TypedResults.Created(
            $"/admin/products/{product}/keys/{credential.Id}",
            new CreatedSecret(credential.Id, "ingestion", name, product, secret));
    }

    private static Results<Ok<IEnumerable<CredentialInfo>>, NotFound<ManifestProblem>> ListKeys(string product, ProductCatalog catalog, CredentialService credentials) =>
        catalog.Find(product) is null
            ? NotRegistered(product)
            : TypedResults.Ok(credentials.Live.Where(c => c.Role is CredentialRole.Ingestion && c.Product == product).Select(CredentialInfo.From));

    private static async Task<Results<NoContent, NotFound<ManifestProblem>>> RevokeKeyAsync(
        string product, long id, ClaimsPrincipal user, CredentialService credentials, AuditLog audit, CancellationToken cancellationToken)
    {
        if (!credentials.Live.Any(c => c.Id == id && c.Role is CredentialRole.Ingestion && c.Product == product)
            || !await credentials.RevokeAsync(id, cancellationToken))
        {
            return TypedResults.NotFound(new ManifestProblem(
                [$"'{product}' has no live ingestion key with ID {id.ToString(CultureInfo.InvariantCulture)} (GET /admin/products/{product}/keys lists them)"]));
        }

        await audit.RecordAsync(user, "key.revoke", product, $"ingestion key {id.ToString(CultureInfo.InvariantCulture)}", cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>The 404 for a product that is not registered here, naming it, so a copied command's typo shows.</summary>
    public static NotFound<ManifestProblem> NotRegistered(string product) =>
        TypedResults.NotFound(new ManifestProblem([$"no product '{product}' is registered here (GET /admin/products lists them; POST /admin/products registers one)"]));

    // A 400 that names the problem, in the answer and in the log.
    private static BadRequest<ManifestProblem> Refuse(ILogger logger, HttpContext http, string problem)
    {
        CollectorLog.AdminRequestRefused(logger, http.Request.Method, http.Request.Path.Value ?? "", problem);
        return TypedResults.BadRequest(new ManifestProblem([problem]));
    }

    private static class Settings
    {
        public static string? Check(int? retentionMonths, int? kThreshold) =>
            retentionMonths is < 1 or > 120 ? "'retentionMonths' must be between 1 and 120"
            : kThreshold is < 1 or > 1000 ? "'kThreshold' must be between 1 and 1000"
            : null;
    }
}

/// <summary>Registers a product, or a new revision of its manifest.</summary>
/// <param name="Manifest">The manifest's JSON object, exactly as the tool embeds it.</param>
/// <param name="RetentionMonths">How long raw events are kept; defaults to the manifest's <c>retentionMonths</c>.</param>
/// <param name="KThreshold">Query results hide groups with fewer distinct installs than this (default 5).</param>
internal sealed record RegisterProductRequest(JsonElement Manifest, int? RetentionMonths, int? KThreshold);

/// <summary>Changes a product's settings; absent values stay as they are.</summary>
internal sealed record ProductSettings(int? RetentionMonths, int? KThreshold);

/// <summary>Names an ingestion key.</summary>
internal sealed record CreateKeyRequest(string? Name);

/// <summary>Why an admin request was refused (a manifest, a setting, a product that is not registered): every problem, one sentence each.</summary>
internal sealed record ManifestProblem(IReadOnlyList<string> Errors);

/// <summary>A product as the admin API shows it.</summary>
internal sealed record ProductInfo(string Product, string Name, int RetentionMonths, int KThreshold, DateTimeOffset Created, IReadOnlyList<int> Revisions)
{
    public static ProductInfo From(CatalogProduct p) =>
        new(p.Record.Name, p.Latest.Name, p.Record.RetentionMonths, p.Record.KThreshold, p.Record.Created, [.. p.Revisions.Keys]);
}
