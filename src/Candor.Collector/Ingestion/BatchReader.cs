using System.Buffers;
using System.IO.Compression;
using System.Net.Http.Headers;
using Candor.Protocol;

namespace Candor.Collector.Ingestion;

/// <summary>A request-level refusal: the status code, a stable reason and a sentence.</summary>
internal sealed record RequestProblem(int Status, string Reason, string Detail);

/// <summary>
/// A request body in a buffer rented from <see cref="ArrayPool{T}.Shared"/>. A batch is ~60 KB once inflated, read
/// into buffers that grew to 128 KB: fresh ones per request were most of the bytes ingestion allocated (and, above
/// 85 KB, large-object-heap allocations, which only a full collection frees). Dispose it once nothing reads
/// <see cref="Memory"/> any more (a <see cref="System.Text.Json.JsonDocument"/> parsed from it reads it).
/// </summary>
internal sealed class RequestBody(byte[] buffer, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    /// <summary>The body's bytes; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, length);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(RequestBody));

    /// <summary>A stream over the bytes; read it before <see cref="Dispose"/>.</summary>
    public Stream OpenRead() => new MemoryStream(Buffer, 0, length, writable: false);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

/// <summary>
/// Reads a batch body with hard limits: the media type must be JSON, the encoding gzip or identity, the body at
/// most <see cref="ProtocolConstants.MaxCompressedBytes"/> on the wire and at most
/// <see cref="ProtocolConstants.MaxDecompressedBytes"/> once decompressed. Decompression streams into a capped
/// buffer, so a compression bomb is refused after reading one byte past the limit, not after inflating it.
/// </summary>
internal static class BatchReader
{
    private static readonly string[] Json = [ProtocolConstants.MediaType];

    /// <summary>The body, or why it is refused. The caller disposes the body.</summary>
    public static Task<(RequestBody? Body, RequestProblem? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken) =>
        ReadAsync(request, Json, cancellationToken);

    /// <summary>
    /// As <see cref="ReadAsync(HttpRequest, CancellationToken)"/>, for a body of one of <paramref name="mediaTypes"/>
    /// (text ones in UTF-8); the limits are the same for every door.
    /// </summary>
    public static async Task<(RequestBody? Body, RequestProblem? Problem)> ReadAsync(HttpRequest request, IReadOnlyList<string> mediaTypes, CancellationToken cancellationToken)
    {
        if (CheckMediaType(request, mediaTypes) is { } mediaProblem)
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

        RequestBody? raw;
        try
        {
            raw = await ReadCappedAsync(request.Body, ProtocolConstants.MaxCompressedBytes, (int)Math.Min(request.ContentLength ?? 0, ProtocolConstants.MaxCompressedBytes), cancellationToken);
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

        using var compressed = raw;
        try
        {
            using var inflating = new GZipStream(compressed.OpenRead(), CompressionMode.Decompress);
            var body = await ReadCappedAsync(inflating, ProtocolConstants.MaxDecompressedBytes, compressed.Memory.Length * 16, cancellationToken);
            return body is null
                ? (null, TooLarge($"the body is larger than {ProtocolConstants.MaxDecompressedBytes} bytes once decompressed"))
                : (body, null);
        }
        catch (InvalidDataException)
        {
            return (null, new RequestProblem(StatusCodes.Status400BadRequest, RejectionReasons.Malformed, "the body is not valid gzip data"));
        }
    }

    private static RequestProblem? CheckMediaType(HttpRequest request, IReadOnlyList<string> mediaTypes)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaTypes.Contains(mediaType.MediaType, StringComparer.OrdinalIgnoreCase)
            || (mediaType.CharSet is { } charset && !charset.Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
        {
            return new RequestProblem(StatusCodes.Status415UnsupportedMediaType, RejectionReasons.UnsupportedMediaType,
                $"Content-Type must be {string.Join(" or ", mediaTypes)} (UTF-8)");
        }

        return null;
    }

    // Returns null when the stream holds more than `limit` bytes; never buffers more than limit + one read.
    // `expected` is a guess at the size (0 when there is none), so that most bodies need no second buffer.
    private static async Task<RequestBody?> ReadCappedAsync(Stream stream, int limit, int expected, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, Math.Max(expected + 1, 16 * 1024)));
        var handedOver = false;
        try
        {
            var capacity = Math.Min(buffer.Length, limit + 1);
            var length = 0;
            while (true)
            {
                if (length == capacity)
                {
                    if (capacity > limit)
                    {
                        return null;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(capacity * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                    capacity = Math.Min(buffer.Length, limit + 1);
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length, capacity - length), cancellationToken);
                if (read == 0)
                {
                    handedOver = true;
                    return new RequestBody(buffer, length);
                }

                length += read;
            }
        }
        finally
        {
            if (!handedOver)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static RequestProblem TooLarge(string detail) =>
        new(StatusCodes.Status413PayloadTooLarge, RejectionReasons.BodyTooLarge, detail);
}
