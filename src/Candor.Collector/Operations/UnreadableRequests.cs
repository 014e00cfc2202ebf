using System.Text.Json;

namespace Candor.Collector.Operations;

/// <summary>
/// Answers a request that an endpoint could not even read (a body that is not the JSON the endpoint takes, a
/// missing body, a query value of the wrong type) with its 400 and a problem document whose <c>detail</c> says what
/// is wrong, and logs the same sentence. Without it ASP.NET Core answers a bare 400 and logs nothing at the default
/// levels, which leaves an operator guessing. Needs <see cref="RouteHandlerOptions.ThrowOnBadRequest"/>, so that
/// such a request reaches it as a <see cref="BadHttpRequestException"/>.
/// </summary>
internal sealed class UnreadableRequests(RequestDelegate next, IProblemDetailsService problems, ILogger<UnreadableRequests> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            var detail = Describe(ex);
            CollectorLog.RequestUnreadable(logger, context.Request.Method, context.Request.Path.Value ?? "", ex.StatusCode, detail);
            context.Response.Clear();
            context.Response.StatusCode = ex.StatusCode;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = { Status = ex.StatusCode, Detail = detail },
            });
        }
    }

    /// <summary>ASP.NET Core's sentence, and the JSON reader's when the body is at fault: it names the line and the position.</summary>
    public static string Describe(BadHttpRequestException ex) =>
        ex.InnerException is JsonException json ? $"{ex.Message} {json.Message}" : ex.Message;
}
