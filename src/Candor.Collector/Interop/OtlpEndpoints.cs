using System.Net.Http.Headers;
using System.Text.Json;
using Candor.Collector.Access;
using Candor.Collector.Ingestion;
using Candor.Collector.Operations;
using Candor.Collector.Products;
using Candor.Manifest;
using Candor.Protocol;
using Google.Protobuf;

namespace Candor.Collector.Interop;

/// <summary>
/// The OTLP/HTTP receiver: <c>POST /v1/logs</c> and <c>POST /v1/traces</c>, binary protobuf or JSON, gzip or not,
/// authenticated by the product's ingestion key in <c>X-Candor-Key</c> or <c>Authorization: Bearer</c>. Answers as
/// the OTLP specification says: 200 with an <c>Export…ServiceResponse</c> (a partial success names how many items
/// were refused and why), 400 for a body that cannot be read, 401, 413, 415, 429 and 503 with Retry-After, each
/// encoded in the request's content type.
/// </summary>
internal static class OtlpEndpoints
{
    public const string LogsPath = "/v1/logs";
    public const string TracesPath = "/v1/traces";
    public const string Protobuf = "application/x-protobuf";

    private static readonly string[] MediaTypes = [Protobuf, "application/json"];

    public static IEndpointRouteBuilder MapOtlp(this IEndpointRouteBuilder routes)
    {
        var otlp = routes.MapGroup("")
            .RequireRateLimiting(IngestionSetup.PerKeyPolicy)
            .WithTags("OTLP");
        otlp.MapPost(LogsPath, (HttpContext http, CancellationToken cancellationToken) => ExportAsync(http, ItemType.Log, cancellationToken));
        otlp.MapPost(TracesPath, (HttpContext http, CancellationToken cancellationToken) => ExportAsync(http, ItemType.Span, cancellationToken));
        return routes;
    }

    private static async Task<IResult> ExportAsync(HttpContext http, ItemType type, CancellationToken cancellationToken)
    {
        const string door = CollectorMetrics.Doors.Otlp;
        var services = http.RequestServices;
        var pipeline = services.GetRequiredService<IngestionPipeline>();
        var protobuf = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType)
            && string.Equals(mediaType.MediaType, Protobuf, StringComparison.OrdinalIgnoreCase);

        var (product, keyProblem) = IngestionKey.Resolve(http.Request, IngestionKey.FromHeaders(http.Request),
            $"send the product's ingestion key in the {ProtocolConstants.KeyHeader} header (or Authorization: Bearer)",
            services.GetRequiredService<CredentialService>(), services.GetRequiredService<ProductCatalog>());
        var refused = keyProblem is not null ? pipeline.Counted(keyProblem, door) : pipeline.Admit(http, door);
        if (refused is not null)
        {
            return Status(refused, protobuf);
        }

        var (body, bodyProblem) = await BatchReader.ReadAsync(http.Request, MediaTypes, cancellationToken);
        if (bodyProblem is not null)
        {
            return Status(pipeline.Counted(bodyProblem, door), protobuf);
        }

        List<ForeignItem> items;
        using (body)
        {
            try
            {
                items = protobuf ? OtlpProtobufReader.Read(body!.Memory, type) : OtlpJsonReader.Read(body!.Memory, type);
            }
            catch (Exception ex) when (ex is InvalidProtocolBufferException or JsonException or FormatException or InvalidOperationException or OverflowException)
            {
                var what = protobuf ? "binary protobuf" : "JSON";
                return Status(pipeline.Counted(new RequestProblem(StatusCodes.Status400BadRequest, RejectionReasons.Malformed,
                    $"the body is not an OTLP {(type == ItemType.Log ? "logs" : "traces")} export request in {what}"), door), protobuf);
            }
        }

        var (outcome, problem) = await services.GetRequiredService<ForeignIngestion>().IngestAsync(
            http, product!, door, m => m.Mappings?.Otlp, items, [], cancellationToken);
        return problem is not null ? Status(problem, protobuf) : Success(outcome!, type, protobuf);
    }

    // Export{Logs,Trace}ServiceResponse { partial_success = 1 { rejected_{log_records,spans} = 1 (int64); error_message = 2 } }:
    // the same field numbers for both signals; empty when every item was taken.
    private static EncodedResult Success(ForeignOutcome outcome, ItemType type, bool protobuf)
    {
        var rejected = outcome.Refused.Count;
        var message = rejected == 0 ? "" : Describe(outcome.Refused);
        if (protobuf)
        {
            using var buffer = new MemoryStream();
            var output = new CodedOutputStream(buffer);
            if (rejected > 0)
            {
                var size = CodedOutputStream.ComputeTagSize(1) + CodedOutputStream.ComputeInt64Size(rejected)
                    + CodedOutputStream.ComputeTagSize(2) + CodedOutputStream.ComputeStringSize(message);
                output.WriteTag(1, WireFormat.WireType.LengthDelimited);
                output.WriteLength(size);
                output.WriteTag(1, WireFormat.WireType.Varint);
                output.WriteInt64(rejected);
                output.WriteTag(2, WireFormat.WireType.LengthDelimited);
                output.WriteString(message);
            }

            output.Flush();
            return Bytes(buffer.ToArray(), Protobuf);
        }

        var json = new Dictionary<string, object>();
        if (rejected > 0)
        {
            // Int64 fields are strings in the protobuf JSON mapping.
            json["partialSuccess"] = new Dictionary<string, string>
            {
                [type == ItemType.Log ? "rejectedLogRecords" : "rejectedSpans"] = rejected.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["errorMessage"] = message,
            };
        }

        return Bytes(JsonSerializer.SerializeToUtf8Bytes(json, OtlpJsonContext.Default.DictionaryStringObject), "application/json");
    }

    // The first few refusals, by position; the collector's log and metrics have them all.
    private static string Describe(IReadOnlyList<ItemRefusal> refused) =>
        string.Join("; ", refused.Take(5).Select(r => $"item {r.Index}: {r.Reason}: {r.Detail}")) + (refused.Count > 5 ? $"; and {refused.Count - 5} more" : "");

    // google.rpc.Status { code = 1 (int32); message = 2 }, the body OTLP/HTTP gives a refused request.
    private static EncodedResult Status(RequestProblem problem, bool protobuf)
    {
        var message = $"{problem.Reason}: {problem.Detail}";
        if (protobuf)
        {
            using var buffer = new MemoryStream();
            var output = new CodedOutputStream(buffer);
            output.WriteTag(1, WireFormat.WireType.Varint);
            output.WriteInt32(RpcCode(problem.Status));
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteString(message);
            output.Flush();
            return Bytes(buffer.ToArray(), Protobuf, statusCode: problem.Status);
        }

        var json = new Dictionary<string, object> { ["code"] = RpcCode(problem.Status), ["message"] = message };
        return Bytes(JsonSerializer.SerializeToUtf8Bytes(json, OtlpJsonContext.Default.DictionaryStringObject), "application/json", statusCode: problem.Status);
    }

    private static EncodedResult Bytes(byte[] body, string contentType, int statusCode = StatusCodes.Status200OK) => new EncodedResult(body, contentType, statusCode);

    // Results.Bytes cannot set a status code, and refusals need one.
    private sealed class EncodedResult(byte[] body, string contentType, int statusCode) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = statusCode;
            httpContext.Response.ContentType = contentType;
            httpContext.Response.ContentLength = body.Length;
            return httpContext.Response.Body.WriteAsync(body).AsTask();
        }
    }

    // The gRPC status codes that go with the HTTP ones.
    private static int RpcCode(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => 16, // UNAUTHENTICATED
        StatusCodes.Status413PayloadTooLarge or StatusCodes.Status429TooManyRequests => 8, // RESOURCE_EXHAUSTED
        StatusCodes.Status503ServiceUnavailable => 14, // UNAVAILABLE
        _ => 3, // INVALID_ARGUMENT
    };
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(int))]
internal sealed partial class OtlpJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
