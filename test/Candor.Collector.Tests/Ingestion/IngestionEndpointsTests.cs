using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Candor.Collector.Ingestion;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Sqlite;
using Candor.Protocol;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Tests.Ingestion;

public class IngestionEndpointsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Batch_ValidEvents_AreStoredAndAcknowledged(bool gzip)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();

        var response = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, [Some.Install(), Some.Failed(), Some.Crash("System.IO.IOException at Sample.Cli.Run")], gzip));

        Assert.Equal(3, response.Accepted);
        Assert.Equal(0, response.Duplicates);
        Assert.Empty(response.Rejected);
        Assert.Equal(3, await collector.Store.CountRawEventsAsync("sample", default));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Batch_ManyTimesLargerThanTheFirstBuffer_IsReadWhole(bool gzip)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var events = Enumerable.Range(0, ProtocolConstants.MaxEventsPerBatch).Select(_ => Some.Install()).ToArray();

        // Twice, so that the second request reads into buffers the first one gave back.
        var first = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, events, gzip));
        var second = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, events, gzip));

        Assert.Equal((events.Length, 0), (first.Accepted, first.Duplicates));
        Assert.Equal((0, events.Length), (second.Accepted, second.Duplicates));
    }

    [Fact]
    public async Task Batch_SentTwice_CountsDuplicatesAndStoresOnce()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var events = new[] { Some.Install(), Some.Install() };

        await collector.PostBatchAsync(key, events);
        var retry = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, [.. events, events[0]]));

        Assert.Equal(0, retry.Accepted);
        Assert.Equal(3, retry.Duplicates);
        Assert.Equal(2, await collector.Store.CountRawEventsAsync("sample", default));
    }

    public static TheoryData<string, string> BadEvents => new()
    {
        { "undeclared event", RejectionReasons.UndeclaredEvent },
        { "undeclared property", RejectionReasons.UndeclaredProperty },
        { "undeclared measurement", RejectionReasons.UndeclaredProperty },
        { "enum value not declared", RejectionReasons.InvalidValue },
        { "bucket label not declared", RejectionReasons.InvalidValue },
        { "hash in upper case", RejectionReasons.InvalidValue },
        { "hash too short", RejectionReasons.InvalidValue },
        { "allowed name in other casing", RejectionReasons.InvalidValue },
        { "name neither allowed nor hashed", RejectionReasons.InvalidValue },
        { "more list items than declared", RejectionReasons.InvalidValue },
        { "list item not a string", RejectionReasons.InvalidValue },
        { "list not an array", RejectionReasons.InvalidValue },
        { "bool as string", RejectionReasons.InvalidValue },
        { "version with build path", RejectionReasons.InvalidValue },
        { "stack with a home path", RejectionReasons.InvalidValue },
        { "stack with a drive path", RejectionReasons.InvalidValue },
        { "stack with an address", RejectionReasons.InvalidValue },
        { "stack too long", RejectionReasons.InvalidValue },
        { "stack with a NUL", RejectionReasons.InvalidValue },
        { "stack with a line break", RejectionReasons.InvalidValue },
        { "number above maximum", RejectionReasons.InvalidValue },
        { "negative duration", RejectionReasons.InvalidValue },
        { "measurement sent as property", RejectionReasons.InvalidValue },
        { "property sent as measurement", RejectionReasons.InvalidValue },
        { "other product", RejectionReasons.WrongProduct },
        { "unregistered revision", RejectionReasons.WrongProduct },
        { "time in the future", RejectionReasons.InvalidValue },
        { "time older than retention", RejectionReasons.InvalidValue },
        { "verifier not 64 hex characters", RejectionReasons.InvalidValue },
        { "unknown os family", RejectionReasons.InvalidValue },
        { "os version with a path", RejectionReasons.InvalidValue },
        { "os version with a host name", RejectionReasons.InvalidValue },
        { "os version of an unlisted distribution", RejectionReasons.InvalidValue },
        { "version with a free-text label", RejectionReasons.InvalidValue },
        { "version label not canonical", RejectionReasons.InvalidValue },
        { "arch not listed", RejectionReasons.InvalidValue },
        { "runtime with words", RejectionReasons.InvalidValue },
        { "ci not listed", RejectionReasons.InvalidValue },
        { "unknown host", RejectionReasons.InvalidValue },
        { "property version with a free-text label", RejectionReasons.InvalidValue },
        { "stack with a key path in a frame", RejectionReasons.InvalidValue },
        { "stack with an escape", RejectionReasons.InvalidValue },
        { "stack with a message", RejectionReasons.InvalidValue },
        { "stack with more frames than allowed", RejectionReasons.InvalidValue },
        { "stack with a user name as a frame of a declared namespace's sibling", RejectionReasons.InvalidValue },
        { "stack with a frame in a look-alike namespace", RejectionReasons.InvalidValue },
        { "stack with a third party's exception type", RejectionReasons.InvalidValue },
        { "empty install", RejectionReasons.Malformed },
    };

    [Theory]
    [MemberData(nameof(BadEvents))]
    public async Task Batch_BadItem_IsRejectedWithIndexAndReason_AndTheRestIsStored(string problem, string reason)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var bad = Break(problem);

        var response = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, [Some.Install(), bad, Some.Install()]));

        Assert.Equal(2, response.Accepted);
        var rejection = Assert.Single(response.Rejected);
        Assert.Equal(1, rejection.Index);
        Assert.Equal(bad.Id, rejection.Id);
        Assert.Equal(reason, rejection.Reason);
        Assert.False(string.IsNullOrWhiteSpace(rejection.Detail));
        var raw = await collector.Store.ReadRawAsync(new("sample", new(2025, 1, 1), new(2026, 12, 31)), 100, default);
        Assert.DoesNotContain(raw, e => e.Id == bad.Id);
    }

    [Fact]
    public async Task Batch_ItemsThatAreNotEvents_AreRejectedOneByOne()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var good = JsonSerializer.Serialize(Some.Install(), ProtocolJsonContext.Default.WireEvent);
        var huge = good.Replace("\"name\":", $"\"padding\":\"{new string('x', ProtocolConstants.MaxEventBytes)}\",\"name\":");
        var body = $$$"""{"events":[{{{good}}}, 42, {"id": "not-a-guid"}, {{{huge}}}, {"name": null}, {"id": 42}, {"id": {"id": "{{{Guid.NewGuid()}}}"}}, {"id": null}]}""";

        var response = await TestCollector.ReadBatchAsync(await collector.PostRawAsync(key, Encoding.UTF8.GetBytes(body), gzip: true));

        Assert.Equal(1, response.Accepted);
        Assert.Equal(
            [(1, RejectionReasons.Malformed), (2, RejectionReasons.Malformed), (3, RejectionReasons.TooLarge), (4, RejectionReasons.Malformed),
                (5, RejectionReasons.Malformed), (6, RejectionReasons.Malformed), (7, RejectionReasons.Malformed)],
            response.Rejected.Select(r => (r.Index, r.Reason)));
        Assert.All(response.Rejected.Where(r => r.Index != 3), r => Assert.Null(r.Id));
    }

    [Theory]
    [InlineData("{\"events\": [", "malformed JSON")]
    [InlineData("[]", "not an object")]
    [InlineData("{\"items\": []}", "no events array")]
    [InlineData("{\"events\": {}}", "events not an array")]
    [InlineData("\"events\"", "a string")]
    public async Task Batch_MalformedBody_Is400(string body, string because)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();

        var response = await collector.PostRawAsync(key, Encoding.UTF8.GetBytes(body), gzip: true);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, because);
        Assert.Equal(RejectionReasons.Malformed, (await ReadProblemAsync(response)).Reason);
    }

    [Fact]
    public async Task Batch_CorruptGzip_Is400()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var body = TestCollector.Gzip(Encoding.UTF8.GetBytes("{\"events\": []}"));
        body[^5] ^= 0xFF;

        using var request = new HttpRequestMessage(HttpMethod.Post, ProtocolConstants.BatchPath) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Add(ProtocolConstants.KeyHeader, key);
        var response = await collector.Client().SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("candor_ingest_unknown")]
    [InlineData("")]
    public async Task Batch_MissingOrUnknownKey_Is401(string? key)
    {
        await using var collector = await TestCollector.StartAsync();
        await collector.RegisterAsync();

        var response = await collector.PostBatchAsync(key, [Some.Install()]);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(RejectionReasons.UnknownKey, (await ReadProblemAsync(response)).Reason);
    }

    [Fact]
    public async Task Batch_AdminTokenAsKey_Is401()
    {
        await using var collector = await TestCollector.StartAsync();
        await collector.RegisterAsync();

        var response = await collector.PostBatchAsync(TestCollector.AdminToken, [Some.Install()]);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/json; charset=utf-16")]
    public async Task Batch_WrongMediaType_Is415(string mediaType)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();

        var response = await collector.PostRawAsync(key, Encoding.UTF8.GetBytes("{\"events\": []}"), gzip: false, mediaType);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(RejectionReasons.UnsupportedMediaType, (await ReadProblemAsync(response)).Reason);
    }

    [Fact]
    public async Task Batch_UnsupportedContentEncoding_Is415()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, ProtocolConstants.BatchPath) { Content = new ByteArrayContent([1, 2, 3]) };
        request.Content.Headers.ContentType = new("application/json");
        request.Content.Headers.ContentEncoding.Add("br");
        request.Headers.Add(ProtocolConstants.KeyHeader, key);

        var response = await collector.Client().SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Batch_LargerThanWireLimit_Is413()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var body = Encoding.UTF8.GetBytes("{\"events\": [], \"padding\": \"" + new string('x', ProtocolConstants.MaxCompressedBytes) + "\"}");

        var response = await collector.PostRawAsync(key, body, gzip: false);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(RejectionReasons.BodyTooLarge, (await ReadProblemAsync(response)).Reason);
    }

    [Fact]
    public async Task Batch_CompressionBomb_Is413()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var inflated = new byte[64 * 1024 * 1024];

        var bomb = TestCollector.Gzip(inflated);
        var response = await PostPrecompressedAsync(collector, key, bomb);

        Assert.True(bomb.Length < ProtocolConstants.MaxCompressedBytes);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("decompressed", (await ReadProblemAsync(response)).Detail);
    }

    [Fact]
    public async Task Batch_MoreEventsThanAllowed_Is413()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();

        var response = await collector.PostBatchAsync(key, Enumerable.Range(0, ProtocolConstants.MaxEventsPerBatch + 1).Select(_ => Some.Event("crash")));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Batch_OverPerKeyLimit_Is429WithRetryAfter()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Ingestion:PermitsPerKey"] = "2", ["Ingestion:RateWindow"] = "01:00:00" });
        var key = await collector.RegisterAsync();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 3; i++)
        {
            last = await collector.PostBatchAsync(key, [Some.Install()]);
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(last!.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(RejectionReasons.RateLimited, (await ReadProblemAsync(last)).Reason);
        var otherKey = await collector.CreateKeyAsync("sample");
        Assert.Equal(HttpStatusCode.OK, (await collector.PostBatchAsync(otherKey, [Some.Install()])).StatusCode);
    }

    [Fact]
    public async Task Batch_OverPerAddressLimit_Is429WhateverTheKey()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Ingestion:PermitsPerAddress"] = "3", ["Ingestion:RateWindow"] = "01:00:00" });

        // Registering and creating a key are the first two requests from this address.
        var key = await collector.RegisterAsync();
        var ok = await collector.PostBatchAsync(key, [Some.Install()]);
        var refused = await collector.PostBatchAsync(key, [Some.Install()]);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await collector.Client().GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Batch_OverMaxBacklogEventsHeld_Is503StoreBusyWithRetryAfter_AndNothingIsLost()
    {
        // MaxWait is out of the way here: this is the hard cap on events held, whatever the writer's pace.
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Storage:MaxBacklog"] = "500", ["Storage:MaxWait"] = "01:00:00" });
        var key = await collector.RegisterAsync();
        var first = Enumerable.Range(0, 499).Select(_ => Some.Install()).ToArray();
        var second = Some.Install();
        var third = Some.Install();

        // Another process holds the file's write lock, so the collector's writer waits and events queue up.
        await using var blocker = new SqliteConnection($"Data Source={Path.Combine(collector.DataPath, "candor.db")};Pooling=False");
        await blocker.OpenAsync();
        using var lockHeld = blocker.BeginTransaction(deferred: false);
        var waitingFirst = collector.PostBatchAsync(key, first);
        await TestCollector.EventuallyAsync(() => Task.FromResult(collector.Store.Backlog == 499), "the first batch to wait for the writer");
        var waitingSecond = collector.PostBatchAsync(key, [second]);
        await TestCollector.EventuallyAsync(() => Task.FromResult(collector.Store.Backlog == 500), "the second batch to wait for the writer");

        var busy = await collector.PostBatchAsync(key, [third]);
        var health = await collector.Client().GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
        Assert.Equal(RejectionReasons.StoreBusy, (await ReadProblemAsync(busy)).Reason);
        Assert.NotNull(busy.Headers.RetryAfter?.Delta);
        Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());
        Assert.Equal(500, collector.Services.GetRequiredService<Admission>().Held);

        // Once the lock is gone the waiting batches are committed and acknowledged, and the refused one goes on a retry.
        lockHeld.Rollback();
        Assert.Equal(499, (await TestCollector.ReadBatchAsync(await waitingFirst)).Accepted);
        Assert.Equal(1, (await TestCollector.ReadBatchAsync(await waitingSecond)).Accepted);
        Assert.Equal(1, (await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, [third]))).Accepted);
        Assert.Equal(501, await collector.Store.CountRawEventsAsync(Some.Product, default));
        Assert.Equal(0, collector.Services.GetRequiredService<Admission>().Held);
    }

    [Fact]
    public async Task Batch_WriterExpectedToTakeLongerThanMaxWait_BurstIs503WithRetryAfterAtOnce_AndEveryResentBatchIsStored()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Storage:MaxWait"] = "00:00:00.2" });
        var key = await collector.RegisterAsync();
        var plug = Enumerable.Range(0, 500).Select(_ => Some.Install()).ToArray();
        var burst = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, 100).Select(_ => Some.Install()).ToArray()).ToArray();

        // Another process holds the file's write lock: the writer is stuck on the plug, longer than it should take,
        // so the wait it is expected to impose grows past MaxWait.
        await using var blocker = new SqliteConnection($"Data Source={Path.Combine(collector.DataPath, "candor.db")};Pooling=False");
        await blocker.OpenAsync();
        using var lockHeld = blocker.BeginTransaction(deferred: false);
        var waiting = collector.PostBatchAsync(key, plug);
        await TestCollector.EventuallyAsync(() => Task.FromResult(collector.Store.Backlog == plug.Length), "the plug to reach the writer");
        await TestCollector.EventuallyAsync(() => Task.FromResult(collector.Store.EstimatedWait > TimeSpan.FromMilliseconds(200)), "the expected wait to pass MaxWait");

        var refused = await Task.WhenAll(burst.Select(batch => collector.PostBatchAsync(key, batch)));
        var health = await collector.Client().GetAsync("/healthz");

        // Every request of the burst was answered while the writer still could not commit anything: none waited for it,
        // and none of their events was queued.
        Assert.False(waiting.IsCompleted);
        Assert.Equal(plug.Length, collector.Store.Backlog);
        foreach (var response in refused)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(RejectionReasons.StoreBusy, (await ReadProblemAsync(response)).Reason);
            Assert.InRange(response.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(Admission.MaxRetryAfterSeconds));
        }

        Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());

        // The plug is acknowledged once the lock is gone, and each refused batch, sent again, is stored once.
        lockHeld.Rollback();
        Assert.Equal(plug.Length, (await TestCollector.ReadBatchAsync(await waiting)).Accepted);
        foreach (var batch in burst)
        {
            var resent = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, batch));
            Assert.Equal((batch.Length, 0), (resent.Accepted, resent.Duplicates));
        }

        Assert.Equal(plug.Length + burst.Sum(b => b.Length), await collector.Store.CountRawEventsAsync(Some.Product, default));
        Assert.Equal(0, collector.Services.GetRequiredService<Admission>().Held);
    }

    [Fact]
    public async Task Batch_RequestsSharingACommit_EachGetTheirOwnAnswer()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Storage:FlushEachCommit"] = "true", ["Storage:MaxWait"] = "01:00:00" });
        var key = await collector.RegisterAsync();
        var store = (SqliteEventStore)collector.Store;
        var bad = Break("undeclared event");

        var (plug, first, second, commits) = await QueueBehindALockAsync(collector, key, valid: 5, [Some.Install()], [Some.Install(), Some.Install()], [Some.Install(), bad, Some.Install()]);

        Assert.Equal(1, (await TestCollector.ReadBatchAsync(await plug)).Accepted);
        var a = await TestCollector.ReadBatchAsync(await first);
        Assert.Equal(2, a.Accepted);
        Assert.Empty(a.Rejected);
        var b = await TestCollector.ReadBatchAsync(await second);
        Assert.Equal(2, b.Accepted);
        var rejection = Assert.Single(b.Rejected);
        Assert.Equal((1, bad.Id, RejectionReasons.UndeclaredEvent), (rejection.Index, rejection.Id, rejection.Reason));
        // The plug may have reached the writer before the others queued or not; the two queued together share one either way.
        Assert.InRange(store.Commits - commits, 1, 2);
        Assert.Equal(5, await store.CountRawEventsAsync(Some.Product, default));
    }

    [Fact]
    public async Task Batch_DiskFailsUnderAGroupCommit_EveryRequestOfTheGroupIs503WithRetryAfter_AndTheirRetriesAreDuplicates()
    {
        var diskFails = false;
        await using var collector = await TestCollector.StartAsync(
            new Dictionary<string, string?> { ["Storage:FlushEachCommit"] = "true", ["Storage:MaxWait"] = "01:00:00" },
            services: services => services.AddSingleton<IEventStore>(sp => new SqliteEventStore(sp.GetRequiredService<IOptions<StorageOptions>>().Value, flushWal: wal =>
            {
                if (Volatile.Read(ref diskFails))
                {
                    throw new IOException("the disk went away");
                }

                wal.Flush(flushToDisk: true);
            })));
        var key = await collector.RegisterAsync();
        Volatile.Write(ref diskFails, true);
        WireEvent[][] batches = [[Some.Install()], [Some.Install(), Some.Install()], [Some.Install()]];

        var (plug, first, second, _) = await QueueBehindALockAsync(collector, key, valid: 4, batches[0], batches[1], batches[2]);

        foreach (var response in new[] { await plug, await first, await second })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(RejectionReasons.StoreBusy, (await ReadProblemAsync(response)).Reason);
            Assert.NotNull(response.Headers.RetryAfter?.Delta);
        }

        Volatile.Write(ref diskFails, false);
        foreach (var batch in batches)
        {
            var retry = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, batch));
            Assert.Equal((0, batch.Length), (retry.Accepted, retry.Duplicates));
        }
    }

    [Fact]
    public async Task Batch_ArbitraryBytes_NeverYieldA5xx()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var random = new Random(42);
        string[] shapes =
        [
            "{\"events\":[{\"id\":\"{0}\",\"name\":\"install\",\"properties\":{\"triplet\":[1,2]}}]}",
            "{\"events\":[{\"context\":null}]}",
            "{\"events\":[{\"measurements\":{\"buildTime\":\"x\"}}]}",
            "{\"events\":[{\"time\":\"yesterday\"}]}",
            "{\"events\":[{\"revision\":1e400}]}",
            "{\"events\":[" + new string('[', 200) + "]}",
            "\uFEFF{\"events\":[]}",
            "{\"events\":[{\"properties\":{\"a\":1,\"a\":2}}]}",
        ];

        var bodies = shapes.Select(s => Encoding.UTF8.GetBytes(s.Replace("{0}", Guid.NewGuid().ToString())))
            .Concat(Enumerable.Range(0, 20).Select(i => { var b = new byte[random.Next(1, 2000)]; random.NextBytes(b); return b; }));
        foreach (var body in bodies)
        {
            foreach (var gzip in new[] { true, false })
            {
                var response = await collector.PostRawAsync(key, body, gzip);
                Assert.True((int)response.StatusCode < 500, $"{response.StatusCode} for {Convert.ToHexString(body.AsSpan(0, Math.Min(40, body.Length)))}");
            }
        }
    }

    private static async Task<HttpResponseMessage> PostPrecompressedAsync(TestCollector collector, string key, byte[] gzipped)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ProtocolConstants.BatchPath) { Content = new ByteArrayContent(gzipped) };
        request.Content.Headers.ContentType = new("application/json");
        request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Add(ProtocolConstants.KeyHeader, key);
        return await collector.Client().SendAsync(request);
    }

    // Another connection holds the file's write lock while the plug goes to the writer (which waits for the lock)
    // and the other two requests queue behind it, so that the writer takes them together once the lock is gone.
    private static async Task<(Task<HttpResponseMessage> Plug, Task<HttpResponseMessage> First, Task<HttpResponseMessage> Second, long Commits)> QueueBehindALockAsync(
        TestCollector collector, string key, int valid, WireEvent[] plugBatch, WireEvent[] firstBatch, WireEvent[] secondBatch)
    {
        await using var blocker = new SqliteConnection($"Data Source={Path.Combine(collector.DataPath, "candor.db")};Pooling=False");
        await blocker.OpenAsync();
        using var lockHeld = blocker.BeginTransaction(deferred: false);
        var plug = collector.PostBatchAsync(key, plugBatch);
        await TestCollector.EventuallyAsync(() => Task.FromResult(collector.Store.Backlog == plugBatch.Length), "the plug to wait for the lock");
        var first = collector.PostBatchAsync(key, firstBatch);
        var second = collector.PostBatchAsync(key, secondBatch);
        await TestCollector.EventuallyAsync(() => Task.FromResult(collector.Store.Backlog == valid), "the other two requests to queue");
        var commits = ((SqliteEventStore)collector.Store).Commits;
        lockHeld.Rollback();
        return (plug, first, second, commits);
    }

    private static async Task<ProblemResponse> ReadProblemAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.ProblemResponse))!;

    private static Candor.Protocol.WireEvent Break(string problem)
    {
        var e = problem.Contains("stack") ? Some.Crash("System.IO.IOException at Sample.Cli.Run") : Some.Install();
        switch (problem)
        {
            case "undeclared event": e.Name = "uninstall"; break;
            case "undeclared property": e.Properties!["userName"] = Some.Json("alice"); break;
            case "undeclared measurement": e.Measurements!["memory"] = 12; break;
            case "enum value not declared": e.Properties!["triplet"] = Some.Json("x86-dos"); break;
            case "bucket label not declared": e.Properties!["size"] = Some.Json("12345"); break;
            case "hash in upper case": e.Properties!["dataset"] = Some.Json("FEDCBA9876543210FEDCBA9876543210"); break;
            case "hash too short": e.Properties!["dataset"] = Some.Json("fedcba"); break;
            case "allowed name in other casing": e.Properties!["packages"] = JsonSerializer.SerializeToElement(new[] { "ZLIB" }); break;
            case "name neither allowed nor hashed": e.Properties!["packages"] = JsonSerializer.SerializeToElement(new[] { "my-secret-package" }); break;
            case "more list items than declared": e.Properties!["packages"] = JsonSerializer.SerializeToElement(new[] { "zlib", "zlib", "openssl", "zlib" }); break;
            case "list item not a string": e.Properties!["packages"] = JsonSerializer.SerializeToElement(new object[] { "zlib", 3 }); break;
            case "list not an array": e.Properties!["packages"] = Some.Json("zlib"); break;
            case "bool as string": e.Properties!["cached"] = Some.Json("true"); break;
            case "version with build path": e.Properties!["toolVersion"] = Some.Json("13.2.0+/home/alice/src"); break;
            case "stack with a home path": e.Properties!["stack"] = Some.Json("IOException at /home/alice/tool.cs:12"); break;
            case "stack with a drive path": e.Properties!["stack"] = Some.Json("IOException at C:\\Users\\alice\\tool.cs"); break;
            case "stack with an address": e.Properties!["stack"] = Some.Json("AuthException for alice@example.org"); break;
            case "stack too long": e.Properties!["stack"] = Some.Json(new string('a', 5000)); break;
            case "stack with a NUL": e.Properties!["stack"] = Some.Json("System.IO.IOException\0 at Sample.Cli.Run"); break;
            case "stack with a line break": e.Properties!["stack"] = Some.Json("System.IO.IOException\n at Sample.Cli.Run"); break;
            case "number above maximum": e.Measurements!["retries"] = 101; break;
            case "negative duration": e.Measurements!["buildTime"] = -1; break;
            case "measurement sent as property": e.Properties!["buildTime"] = Some.Json("12"); break;
            case "property sent as measurement": e.Measurements!["cached"] = 1; break;
            case "other product": e.Product = "other"; break;
            case "unregistered revision": e.Revision = 7; break;
            case "time in the future": e.Time = Some.Now.AddDays(2); break;
            case "time older than retention": e.Time = Some.Now.AddMonths(-15); break;
            case "verifier not 64 hex characters": e.Verifier = "00112233445566778899aabbccddeeff"; break;
            case "unknown os family": e.Context.Os = "beos"; break;
            case "os version with a path": e.Context.OsVersion = "/home/alice"; break;
            case "os version with a host name": e.Context.OsVersion = "ubuntu 22.04 alice-laptop"; break;
            case "os version of an unlisted distribution": e.Context.OsVersion = "alice 1"; break;
            case "version with a free-text label": e.Context.Version = "1.2.3-alice-laptop"; break;
            case "version label not canonical": e.Context.Version = "1.2.3-RC1"; break;
            case "arch not listed": e.Context.Arch = "alice"; break;
            case "runtime with words": e.Context.Runtime = ".NET 8.0.11"; break;
            case "ci not listed": e.Context.Ci = "alice-ci"; break;
            case "unknown host": e.Context.Host = "laptop"; break;
            case "property version with a free-text label": e.Properties!["toolVersion"] = Some.Json("13.2.0-jsmith"); break;
            case "stack with a key path in a frame": e.Properties!["stack"] = Some.Json("System.IO.IOException at root.ssh.id_rsa | /root/.ssh/id_rsa"); break;
            case "stack with an escape": e.Properties!["stack"] = Some.Json("System.IO.IOException\u001b[31m at Sample.Cli.Run"); break;
            case "stack with a message": e.Properties!["stack"] = Some.Json("System.IO.IOException: could not open the file at Sample.Cli.Run"); break;
            case "stack with more frames than allowed": e.Properties!["stack"] = Some.Json("System.IO.IOException at " + string.Join(" | ", Enumerable.Range(0, 17).Select(i => $"Sample.Cli.F{i}"))); break;
            case "stack with a user name as a frame of a declared namespace's sibling": e.Properties!["stack"] = Some.Json("System.IO.IOException at Sample.jsmith.Run"); break;
            case "stack with a frame in a look-alike namespace": e.Properties!["stack"] = Some.Json("System.IO.IOException at Sample.Cli.Run | Sample.CliAlice.Run"); break;
            case "stack with a third party's exception type": e.Properties!["stack"] = Some.Json("Alice.Smith.HomeException at Sample.Cli.Run"); break;
            case "empty install": e.Install = Guid.Empty; break;
            default: throw new ArgumentException(problem);
        }

        return e;
    }
}
