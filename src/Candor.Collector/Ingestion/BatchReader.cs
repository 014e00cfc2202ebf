using System.IO.Compression;
using System.Net.Http.Headers;
using Candor.Protocol;

namespace Candor.Collector.Ingestion;

/// <summary>A request-level refusal: the status code, a stable reason and a sentence.</summary>
internal sealed record RequestProblem(int Status, string Reason, string Detail);

/// <summary>
/// Reads a batch body with hard limits: the media type must be JSON, the encoding gzip or identity, the body at
/// most <see cref="ProtocolConstants.MaxCompressedBytes"/> on the wire and at most
/// <see cref="ProtocolConstants.MaxDecompressedBytes"/> once decompressed. Decompression streams into a capped
/// buffer, so a compression bomb is refused after reading one byte past the limit, not after inflating it.
/// </summary>
internal static class BatchReader
{
    public static async Task<(byte[]? Body, RequestProblem? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (CheckMediaType(request) is { } mediaProblem)
        {
            return (null, mediaProblem);
        }

        var encoding = request.Headers.ContentEncoding.ToString().Trim();
        var gzip = encoding.Equals(ProtocolConstants.Encoding, StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return (null, new RequestProblem(StatusCodes.Status415UnsupportedMediaType, RejectionReasons.UnsupportedMediaType,
                "Content-Encoding must be gzip or absent (identity)"));
        }

        if (request.ContentLength > ProtocolConstants.MaxCompressedBytes)
        {
            return (null, TooLarge($"the body is larger than {ProtocolConstants.MaxCompressedBytes} bytes"));
        }

        byte[]? raw;
        try
        {
            raw = await ReadCappedAsync(request.Body, ProtocolConstants.MaxCompressedBytes, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or BadHttpRequestException)
        {
            var status = ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
            return (null, status == StatusCodes.Status413PayloadTooLarge
                ? TooLarge("the body is too large")
                : new RequestProblem(StatusCodes.Status400BadRequest, RejectionReasons.Malformed, "the body could not be read completely"));
        }

        if (raw is null)
        {
            return (null, TooLarge($"the body is larger than {ProtocolConstants.MaxCompressedBytes} bytes"));
        }

        if (!gzip)
        {
            return (raw, null);
        }

        try
        {
            using var inflating = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            var body = await ReadCappedAsync(inflating, ProtocolConstants.MaxDecompressedBytes, cancellationToken);
            return body is null
                ? (null, TooLarge($"the body is larger than {ProtocolConstants.MaxDecompressedBytes} bytes once decompressed"))
                : (body, null);
        }
        catch (InvalidDataException)
        {
            return (null, new RequestProblem(StatusCodes.Status400BadRequest, RejectionReasons.Malformed, "the body is not valid gzip data"));
        }
    }

    private static RequestProblem? CheckMediaType(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !string.Equals(mediaType.MediaType, ProtocolConstants.MediaType, StringComparison.OrdinalIgnoreCase)
            || (mediaType.CharSet is { } charset && !charset.Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
        {
            return new RequestProblem(StatusCodes.Status415UnsupportedMediaType, RejectionReasons.UnsupportedMediaType,
                $"Content-Type must be {ProtocolConstants.MediaType} (UTF-8)");
        }

        return null;
    }

    // Returns null when the stream holds more than `limit` bytes; never buffers more than limit + one read.
    private static async Task<byte[]?> ReadCappedAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(limit + 1, 64 * 1024)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > limit)
                {
                    return null;
                }

                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, limit + 1));
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                return buffer[..length];
            }

            length += read;
        }
    }

    private static RequestProblem TooLarge(string detail) =>
        new(StatusCodes.Status413PayloadTooLarge, RejectionReasons.BodyTooLarge, detail);
}
