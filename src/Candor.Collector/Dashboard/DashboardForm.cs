using Candor.Collector.Operations;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Dashboard;

/// <summary>
/// Reads the small forms the dashboard posts (sign-in, sign-out) with limits sized for them, and turns every body
/// that is not such a form (none, JSON, text, too many fields, a huge value, broken multipart) into a 4xx problem
/// instead of the exception the framework's form reader throws. The forms hold a token, the form token and a
/// return path: a few hundred bytes, so 16 KB and 16 fields leave room for any real browser.
/// </summary>
internal static class DashboardForm
{
    /// <summary>The most bytes a dashboard form body may have.</summary>
    public const int MaxBytes = 16 * 1024;

    private static readonly FormOptions Limits = new()
    {
        ValueCountLimit = 16,
        KeyLengthLimit = 256,
        ValueLengthLimit = MaxBytes,
        MultipartBodyLengthLimit = MaxBytes,
        MultipartHeadersLengthLimit = 4 * 1024,
        BufferBody = false,
    };

    /// <summary>The form, or the problem to answer instead (already logged, in one line).</summary>
    public static async Task<(IFormCollection? Form, ProblemHttpResult? Problem)> ReadAsync(HttpContext http, ILogger logger, CancellationToken cancellationToken)
    {
        var request = http.Request;
        if (!request.HasFormContentType)
        {
            return (null, Refuse(http, logger, StatusCodes.Status415UnsupportedMediaType,
                "this form is posted as application/x-www-form-urlencoded (or multipart/form-data), as the dashboard's page does"));
        }

        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge(http, logger));
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = MaxBytes;
        }

        http.Features.Set<IFormFeature>(new FormFeature(request, Limits));
        try
        {
            return (await request.ReadFormAsync(cancellationToken), null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(http, logger));
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException or InvalidOperationException)
        {
            // The framework's message says which limit or which part of the multipart framing failed; it holds no field values.
            return (null, Refuse(http, logger, StatusCodes.Status400BadRequest, $"the form could not be read: {ex.Message}"));
        }
    }

    private static ProblemHttpResult TooLarge(HttpContext http, ILogger logger) =>
        Refuse(http, logger, StatusCodes.Status413PayloadTooLarge, $"a dashboard form is at most {MaxBytes} bytes");

    private static ProblemHttpResult Refuse(HttpContext http, ILogger logger, int status, string detail)
    {
        CollectorLog.BodyRefused(logger, (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "?", status, detail);
        return TypedResults.Problem(detail, statusCode: status);
    }
}
