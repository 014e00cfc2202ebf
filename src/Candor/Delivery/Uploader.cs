using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Candor.Json;
using Candor.Protocol;
using Candor.Storage;

namespace Candor.Delivery;

/// <summary>What one upload did.</summary>
internal enum UploadStatus
{
    /// <summary>The spool was empty; nothing was sent.</summary>
    NothingToSend,

    /// <summary>Every batch read was answered; the spool holds nothing this upload could send.</summary>
    Delivered,

    /// <summary>An earlier failure's wait has not passed; nothing was sent.</summary>
    BackingOff,

    /// <summary>Another uploader on the machine holds the lock (or the lock could not be taken); nothing was sent.</summary>
    Busy,

    /// <summary>A request failed; the rest stays spooled and the next attempt waits (see <see cref="DeliveryState"/>).</summary>
    Failed,

    /// <summary>The caller gave up; files not yet acknowledged stay spooled and no backoff is recorded.</summary>
    Cancelled,
}

/// <summary>The outcome of one upload: its status and how many events were acknowledged and refused.</summary>
internal readonly record struct UploadResult(UploadStatus Status, int Acknowledged = 0, int Rejected = 0);

/// <summary>
/// Sends one product's spooled events to the collector: one uploader at a time per machine, batches composed
/// from the spooled bytes, files deleted only once the collector answered for them, and a retry wait that
/// is kept on disk so it survives short runs. Never throws for a network or file-system failure.
/// </summary>
internal sealed class Uploader
{
    // A Retry-After further out than this is taken as a server's mistake; the spool's age bound still applies.
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromDays(1);

    // Reasons come from the server and become counter keys and log text; keep them short.
    private const int MaxReasonLength = 64;

    private readonly CandorHome _home;
    private readonly string _endpoint;
    private Uri? _batchUri;
    private readonly string _key;
    private readonly HttpClientSource _http;
    private readonly Spool _spool;
    private readonly TransparencyLog _sent;
    private readonly RejectedLog _rejected;
    private readonly DeliveryStateStore _state;
    private readonly DeliveryOptions _options;
    private readonly IFileSystem _files;
    private readonly TimeProvider _time;
    private readonly DeliveryCounters _counters;

    public Uploader(
        CandorHome home,
        string product,
        string endpoint,
        string ingestionKey,
        HttpClientSource http,
        Spool spool,
        DeliveryOptions options,
        IFileSystem files,
        TimeProvider time,
        DeliveryCounters counters)
    {
        _home = home;
        _endpoint = endpoint;
        _key = ingestionKey;
        _http = http;
        _spool = spool;
        _options = options;
        _files = files;
        _time = time;
        _counters = counters;
        _sent = new TransparencyLog(home, product, files, options);
        _rejected = new RejectedLog(home, product, files, options);
        _state = new DeliveryStateStore(home.DeliveryState(product), files);
    }

    /// <summary>
    /// Whether an earlier failure's wait (kept on disk) has not passed, so an upload now would send nothing.
    /// Reads one small file. Never throws.
    /// </summary>
    public bool MustWait() => IsBackingOff(_state.Load());

    /// <summary>When the wait after the last failure ends, or null when the last upload did not fail. Never throws.</summary>
    public DateTimeOffset? NextAttempt() => _state.Load().NextAttempt;

    /// <summary>
    /// Takes the home's upload lock and sends what the spool holds (see <see cref="SendPendingAsync"/>). Returns
    /// <see cref="UploadStatus.Busy"/> at once when another uploader holds the lock. Never throws for a network or
    /// file-system failure, nor for cancellation.
    /// </summary>
    public async Task<UploadResult> UploadAsync(CancellationToken cancellationToken)
    {
        if (IsBackingOff(_state.Load()))
        {
            return new UploadResult(UploadStatus.BackingOff);
        }

        if (!_spool.HasPending())
        {
            return new UploadResult(UploadStatus.NothingToSend);
        }

        using var held = UploadLock.TryTake(_home, _files);
        return held is null
            ? new UploadResult(UploadStatus.Busy)
            : await SendPendingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends what the spool holds, batch after batch, until it is empty, a request fails or
    /// <paramref name="cancellationToken"/> fires; the caller holds the home's upload lock. Returns at once when
    /// an earlier failure's wait has not passed. Only what the collector said counts: a refusal or a request that
    /// could not reach it is a failure (and sets the retry wait), a cancelled upload is not. Never throws for a
    /// network or file-system failure, nor for cancellation.
    /// </summary>
    public async Task<UploadResult> SendPendingAsync(CancellationToken cancellationToken)
    {
        // Read again under the lock: the uploader that held it a moment ago may have just failed.
        var state = _state.Load();
        if (IsBackingOff(state))
        {
            return new UploadResult(UploadStatus.BackingOff);
        }

        _spool.Trim();
        var tally = new Tally();

        // Files this upload already answered for but could not delete are not sent twice in one run.
        var handled = new HashSet<string>(StringComparer.Ordinal);
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = _spool.ReadBatch(ProtocolConstants.MaxEventsPerBatch, ProtocolConstants.MaxDecompressedBytes, handled);
            if (batch.Count == 0)
            {
                if (tally.Acknowledged + tally.Rejected == 0)
                {
                    return tally.Result(UploadStatus.NothingToSend);
                }

                RecordSuccess(state);
                return tally.Result(UploadStatus.Delivered);
            }

            foreach (var spooled in batch)
            {
                handled.Add(spooled.Path);
            }

            var failure = await SendAsync(batch, tally, cancellationToken).ConfigureAwait(false);
            if (failure is { Kind: FailureKind.Cancelled })
            {
                break;
            }

            if (failure is { } failed)
            {
                RecordFailure(state, failed);
                return tally.Result(UploadStatus.Failed);
            }
        }

        // What the collector answered before the cancellation is a success: the next run need not wait.
        if (tally.Acknowledged + tally.Rejected > 0)
        {
            RecordSuccess(state);
        }

        return tally.Result(UploadStatus.Cancelled);
    }

    private async Task<Failure?> SendAsync(IReadOnlyList<SpooledEvent> batch, Tally tally, CancellationToken cancellationToken)
    {
        var body = BatchBody.Gzip(batch);
        if (body.Length > ProtocolConstants.MaxCompressedBytes && batch.Count > 1)
        {
            return await SplitAsync(batch, tally, cancellationToken).ConfigureAwait(false);
        }

        Reply reply;
        try
        {
            reply = await PostAsync(body, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Failure.Cancelled;
        }
        catch (OperationCanceledException)
        {
            return Failure.Transient("timeout");
        }
        catch (HttpRequestException e)
        {
            return Failure.Transient(Describe(e));
        }

        var status = (int)reply.Status;
        if (reply.Status == HttpStatusCode.RequestEntityTooLarge)
        {
            // One event is within the protocol's limits by construction, so a 413 for one event means a
            // server (or a proxy before it) that refuses what the protocol allows: keep it and wait long.
            return batch.Count > 1
                ? await SplitAsync(batch, tally, cancellationToken).ConfigureAwait(false)
                : Failure.Refused("http-413", reply.RetryAfter);
        }

        if (status is >= 200 and < 300 || reply.Status == HttpStatusCode.BadRequest)
        {
            // A 400 that lists every item's fate is handled item by item, like a 200.
            if (TryReadResponse(reply.Body, batch, out var response))
            {
                Apply(response, batch, tally);
                return null;
            }

            // A 2xx that is not a batch answer (a captive portal, a proxy's page) acknowledges nothing.
            return status < 300 ? Failure.Transient("invalid-response") : Failure.Refused("http-400", reply.RetryAfter);
        }

        var reason = "http-" + status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return reply.Status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || status >= 500
            ? Failure.Transient(reason, reply.RetryAfter)
            : Failure.Refused(reason, reply.RetryAfter);
    }

    private async Task<Failure?> SplitAsync(IReadOnlyList<SpooledEvent> batch, Tally tally, CancellationToken cancellationToken)
    {
        var half = batch.Count / 2;
        var first = await SendAsync(batch.Take(half).ToArray(), tally, cancellationToken).ConfigureAwait(false);
        return first ?? await SendAsync(batch.Skip(half).ToArray(), tally, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Reply> PostAsync(byte[] body, CancellationToken cancellationToken)
    {
        // The one timeout of a request runs on the injected clock, from the connection to the last byte.
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, _batchUri ??= DeliveryEndpoint.BatchUri(_endpoint)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ProtocolConstants.MediaType);
        request.Content.Headers.ContentEncoding.Add(ProtocolConstants.Encoding);
        request.Headers.TryAddWithoutValidation(ProtocolConstants.KeyHeader, _key);
        using var response = await _http().SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
        return new Reply(response.StatusCode, RetryAfter(response.Headers.RetryAfter), bytes);
    }

    private static bool TryReadResponse(byte[] body, IReadOnlyList<SpooledEvent> batch, out BatchResponse response)
    {
        response = null!;
        BatchResponse? read;
        try
        {
            read = JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.BatchResponse);
        }
        catch (JsonException)
        {
            return false;
        }

        // Files are deleted on the strength of this answer, so it must account for every item exactly once.
        if (read?.Rejected is not { } rejected || read.Accepted < 0 || read.Duplicates < 0
            || (long)read.Accepted + read.Duplicates + rejected.Count != batch.Count)
        {
            return false;
        }

        var seen = new HashSet<int>();
        foreach (var item in rejected)
        {
            if (item is null || item.Index < 0 || item.Index >= batch.Count || !seen.Add(item.Index)
                || (item.Id is { } id && id != batch[item.Index].Id))
            {
                return false;
            }
        }

        response = read;
        return true;
    }

    private void Apply(BatchResponse response, IReadOnlyList<SpooledEvent> batch, Tally tally)
    {
        var now = _time.GetUtcNow();
        var rejections = response.Rejected.ToDictionary(r => r.Index);
        var acknowledged = new List<SpooledEvent>(batch.Count);
        var refused = new List<(SpooledEvent Event, string Reason, string Detail)>();
        for (var i = 0; i < batch.Count; i++)
        {
            if (rejections.TryGetValue(i, out var rejection))
            {
                var reason = Shorten(rejection.Reason ?? "", MaxReasonLength);
                refused.Add((batch[i], reason, rejection.Detail ?? ""));
                _counters.AddRejected(reason);
            }
            else
            {
                acknowledged.Add(batch[i]);
            }
        }

        // The log is written before the files go: a crash in between re-sends (and the collector
        // de-duplicates) rather than losing the record of what left the machine.
        TryLog(() => _sent.Append(acknowledged, now), acknowledged.Count, "sent-log");
        TryLog(() => _rejected.Append(refused, now), refused.Count, "rejected-log");
        foreach (var spooled in batch)
        {
            _spool.Delete(spooled);
        }

        tally.Acknowledged += acknowledged.Count;
        tally.Rejected += refused.Count;
    }

    private void TryLog(Action append, int count, string what)
    {
        if (count == 0)
        {
            return;
        }

        try
        {
            append();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException || JsonProblems.IsMalformed(e))
        {
            // The collector has the events (or refused them for good); keeping the files would only send them again,
            // and an event whose bytes the log cannot re-encode must not stop every later upload.
            _counters.Failed(what + "-write-failed");
        }
    }

    private bool IsBackingOff(DeliveryState state)
    {
        var now = _time.GetUtcNow();
        if (state.NextAttempt is not { } next || now >= next)
        {
            return false;
        }

        // A clock set back, or a state file from elsewhere, must not silence delivery longer than any real wait.
        var longest = Max(Max(_options.RetryMaxDelay, _options.RefusedRetryDelay), MaxRetryAfter);
        return next - now <= longest;
    }

    private void RecordFailure(DeliveryState state, Failure failure)
    {
        var now = _time.GetUtcNow();
        state.Failures = state.Failures == int.MaxValue ? int.MaxValue : state.Failures + 1;
        var wait = failure.RetryAfter
            ?? (failure.Kind == FailureKind.Transient ? Backoff(state.Failures) : Jitter(_options.RefusedRetryDelay));
        state.NextAttempt = now + wait;
        state.LastFailure = failure.Reason;
        _state.Save(state);
        _counters.Failed(failure.Reason);
    }

    private void RecordSuccess(DeliveryState state)
    {
        if (state is { Failures: 0, NextAttempt: null, LastFailure: null } && state.LastSuccess is { } last && _time.GetUtcNow() - last < TimeSpan.FromMinutes(1))
        {
            // Nothing to change but the time of a success a moment ago: an uploader sending batch after batch of many
            // runs' events does not rewrite (and flush) the file for each.
            return;
        }

        state.Failures = 0;
        state.NextAttempt = null;
        state.LastFailure = null;
        state.LastSuccess = _time.GetUtcNow();
        _state.Save(state);
    }

    /// <summary>Exponential backoff with "equal jitter": half the wait is fixed, half random, so clients spread out.</summary>
    private TimeSpan Backoff(int failures)
    {
        var exponent = Math.Min(failures - 1, 30);
        var ticks = Math.Min(_options.RetryBaseDelay.Ticks * Math.Pow(2, exponent), _options.RetryMaxDelay.Ticks);
        return Jitter(TimeSpan.FromTicks((long)ticks));
    }

    private static TimeSpan Jitter(TimeSpan wait) => wait * (0.5 + (Random.Shared.NextDouble() / 2));

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header)
    {
        var wait = header?.Delta ?? (header?.Date is { } date ? date - _time.GetUtcNow() : null);
        return wait is { } w ? Max(TimeSpan.Zero, w < MaxRetryAfter ? w : MaxRetryAfter) : null;
    }

    private static string Describe(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => "name-resolution",
        HttpRequestError.ConnectionError => "connection-failed",
        HttpRequestError.SecureConnectionError => "tls-failed",
        HttpRequestError.ProxyTunnelError => "proxy-failed",
        HttpRequestError.ResponseEnded => "response-ended",
        HttpRequestError.ConfigurationLimitExceeded => "response-too-large",
        _ => "network-error",
    };

    private static string Shorten(string text, int length) => text.Length <= length ? text : text[..length];

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private enum FailureKind
    {
        Transient,
        Refused,
        Cancelled,
    }

    private readonly record struct Failure(FailureKind Kind, string Reason, TimeSpan? RetryAfter)
    {
        public static Failure Cancelled => new(FailureKind.Cancelled, "cancelled", null);

        public static Failure Transient(string reason, TimeSpan? retryAfter = null) => new(FailureKind.Transient, reason, retryAfter);

        public static Failure Refused(string reason, TimeSpan? retryAfter) => new(FailureKind.Refused, reason, retryAfter);
    }

    private readonly record struct Reply(HttpStatusCode Status, TimeSpan? RetryAfter, byte[] Body);

    private sealed class Tally
    {
        public int Acknowledged { get; set; }

        public int Rejected { get; set; }

        public UploadResult Result(UploadStatus status) => new(status, Acknowledged, Rejected);
    }
}
