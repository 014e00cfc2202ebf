using System.Globalization;
using System.Text;
using Candor.Delivery;
using Candor.Protocol;
using Microsoft.AspNetCore.Http;

namespace Candor.Tests.Delivery;

public class UploaderTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Upload_CollectorAcknowledges_SendsSpooledBytesDeletesFilesAndLogsThem()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        var ids = rig.Track(3);
        var spooled = rig.SpoolFiles().Select(File.ReadAllBytes).ToArray();

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(new UploadResult(UploadStatus.Delivered, 3, 0), result);
        var request = Assert.Single(collector.Requests);
        Assert.Equal(TestCollector.Key, request.Key);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("gzip", request.ContentEncoding);
        var expected = Encoding.UTF8.GetBytes("{\"events\":[")
            .Concat(spooled[0]).Append((byte)',').Concat(spooled[1]).Append((byte)',').Concat(spooled[2])
            .Concat(Encoding.UTF8.GetBytes("]}"));
        Assert.Equal(expected, request.Body);
        Assert.Empty(rig.SpoolFiles());
        var sent = rig.Sent();
        Assert.Equal(ids, sent.Select(e => e.Id));
        Assert.All(sent, e => Assert.Equal(rig.Time.GetUtcNow(), e.Acknowledged));
        Assert.Equal(Encoding.UTF8.GetString(spooled[0]), sent[0].Json);
        Assert.Equal(0, rig.State().Failures);
    }

    [Fact]
    public async Task Upload_EmptySpool_SendsNothing()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(UploadStatus.NothingToSend, result.Status);
        Assert.Empty(collector.Requests);
        Assert.False(File.Exists(rig.Home.DeliveryState("sample")));
    }

    [Fact]
    public async Task Upload_MoreThanOneBatch_SendsThemAllInOneRun()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        var ids = rig.Track(ProtocolConstants.MaxEventsPerBatch + 20);

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(ids.Length, result.Acknowledged);
        Assert.Equal([ProtocolConstants.MaxEventsPerBatch, 20], collector.Requests.Select(r => r.Ids.Count));
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
    }

    [Fact]
    public async Task Upload_BatchThatCompressesPoorly_IsSplitToFitTheWireLimit()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        var spool = rig.Spool();
        var ids = new List<Guid>();

        // Random hex hardly compresses: a batch at the decompressed limit is about twice the wire limit.
        for (var i = 0; i < 140; i++)
        {
            var id = Guid.NewGuid();
            ids.Add(id);
            var pad = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(15_000));
            Assert.True(spool.TryWrite(id, Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","product":"sample","pad":"{{pad}}"}""")));
            rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(new UploadResult(UploadStatus.Delivered, 140, 0), result);
        Assert.True(collector.Requests.Count > 2);
        Assert.All(collector.Requests, r => Assert.True(r.WireBytes <= ProtocolConstants.MaxCompressedBytes));
        Assert.All(collector.Requests, r => Assert.True(r.Body.Length <= ProtocolConstants.MaxDecompressedBytes));
        Assert.Equal(ids, collector.Requests.SelectMany(r => r.Ids));
    }

    [Fact]
    public async Task Upload_ConnectionRefused_KeepsSpoolAndBacksOffAcrossRuns()
    {
        using var refusing = new RefusingEndpoint();
        using var rig = new DeliveryRig();
        rig.Track(2);

        var result = await rig.Uploader(refusing.Endpoint).UploadAsync(None);

        Assert.Equal(UploadStatus.Failed, result.Status);
        Assert.Equal(2, rig.SpoolFiles().Length);
        var state = rig.State();
        Assert.Equal(1, state.Failures);
        Assert.Equal("connection-failed", state.LastFailure);
        AssertWithin(state.NextAttempt, rig.Time.GetUtcNow() + (rig.Options.RetryBaseDelay / 2), rig.Time.GetUtcNow() + rig.Options.RetryBaseDelay);

        // The next run, a moment later, does not even try.
        rig.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(UploadStatus.BackingOff, (await rig.Uploader(refusing.Endpoint).UploadAsync(None)).Status);
        Assert.Equal(1, rig.State().Failures);
    }

    [Fact]
    public async Task Upload_ServerNeverAnswers_TimesOutKeepsFilesAndBacksOff()
    {
        using var blackHole = new BlackHole();
        using var rig = new DeliveryRig();
        rig.Track(2);

        var upload = rig.Uploader(blackHole.Endpoint).UploadAsync(None);
        await blackHole.Accepted;
        rig.Time.Advance(rig.Options.RequestTimeout);
        var result = await upload;

        Assert.Equal(UploadStatus.Failed, result.Status);
        Assert.Equal(2, rig.SpoolFiles().Length);
        Assert.Equal("timeout", rig.State().LastFailure);
        Assert.Equal(1, rig.State().Failures);
    }

    [Fact]
    public async Task Upload_SlowServerWithinTimeout_Delivers()
    {
        await using var collector = await TestCollector.StartAsync();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        collector.Respond = async (request, context) =>
        {
            await answer.Task;
            await collector.AcknowledgeAsync(request, context);
        };
        using var rig = new DeliveryRig();
        rig.Track(2);

        var upload = rig.Uploader(collector.Endpoint).UploadAsync(None);
        await collector.FirstRequest;
        rig.Time.Advance(rig.Options.RequestTimeout - TimeSpan.FromMilliseconds(1));
        answer.SetResult();
        var result = await upload;

        Assert.Equal(new UploadResult(UploadStatus.Delivered, 2, 0), result);
        Assert.Empty(rig.SpoolFiles());
    }

    [Fact]
    public async Task Upload_ServerErrors_BackoffDoublesWithJitterAndSparesTheServer()
    {
        await using var collector = await TestCollector.StartAsync();
        collector.Respond = (_, context) => TestCollector.WriteAsync(context, 500, "oops", "text/plain");
        using var rig = new DeliveryRig();
        rig.Track(1);

        for (var failures = 1; failures <= 4; failures++)
        {
            var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

            Assert.Equal(UploadStatus.Failed, result.Status);
            var state = rig.State();
            Assert.Equal(failures, state.Failures);
            Assert.Equal("http-500", state.LastFailure);
            var full = rig.Options.RetryBaseDelay * Math.Pow(2, failures - 1);
            AssertWithin(state.NextAttempt, rig.Time.GetUtcNow() + (full / 2), rig.Time.GetUtcNow() + full);

            // Runs before the wait is over leave the server alone.
            rig.Time.SetUtcNow(state.NextAttempt!.Value - TimeSpan.FromMilliseconds(1));
            Assert.Equal(UploadStatus.BackingOff, (await rig.Uploader(collector.Endpoint).UploadAsync(None)).Status);
            Assert.Equal(failures, collector.Requests.Count);
            rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Single(rig.SpoolFiles());
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Upload_TransientStatusWithoutRetryAfter_KeepsFilesAndBacksOffExponentially(int status)
    {
        await using var collector = await TestCollector.StartAsync();
        collector.Respond = (_, context) => TestCollector.WriteAsync(context, status, "");
        using var rig = new DeliveryRig();
        rig.Track(2);

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(UploadStatus.Failed, result.Status);
        Assert.Equal(2, rig.SpoolFiles().Length);
        Assert.Equal($"http-{status}", rig.State().LastFailure);
        var now = rig.Time.GetUtcNow();
        AssertWithin(rig.State().NextAttempt, now + (rig.Options.RetryBaseDelay / 2), now + rig.Options.RetryBaseDelay);
    }

    [Fact]
    public async Task Upload_ManyFailures_WaitIsCappedAtMaxDelay()
    {
        using var refusing = new RefusingEndpoint();
        using var rig = new DeliveryRig();
        rig.Track(1);
        new DeliveryStateStore(rig.Home.DeliveryState("sample"), rig.Files).Save(new DeliveryState { Failures = 40 });

        await rig.Uploader(refusing.Endpoint).UploadAsync(None);

        var now = rig.Time.GetUtcNow();
        AssertWithin(rig.State().NextAttempt, now + (rig.Options.RetryMaxDelay / 2), now + rig.Options.RetryMaxDelay);
    }

    [Fact]
    public async Task Upload_SuccessAfterFailures_ClearsTheWait()
    {
        await using var collector = await TestCollector.StartAsync();
        var fail = true;
        collector.Respond = (request, context) => fail ? TestCollector.WriteAsync(context, 503, "") : collector.AcknowledgeAsync(request, context);
        using var rig = new DeliveryRig();
        rig.Track(1);
        await rig.Uploader(collector.Endpoint).UploadAsync(None);
        rig.Time.SetUtcNow(rig.State().NextAttempt!.Value);
        fail = false;

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(UploadStatus.Delivered, result.Status);
        var state = rig.State();
        Assert.Equal(0, state.Failures);
        Assert.Null(state.NextAttempt);
        Assert.Equal(rig.Time.GetUtcNow(), state.LastSuccess);
    }

    [Fact]
    public async Task Upload_TooManyRequestsWithRetryAfterSeconds_WaitsExactlyThatLong()
    {
        await using var collector = await TestCollector.StartAsync();
        collector.Respond = (request, context) =>
        {
            if (collector.Requests.Count == 1)
            {
                context.Response.Headers.RetryAfter = "120";
                return TestCollector.WriteAsync(context, 429, """{"reason":"rate-limited","detail":"slow down"}""");
            }

            return collector.AcknowledgeAsync(request, context);
        };
        using var rig = new DeliveryRig();
        rig.Track(2);
        var start = rig.Time.GetUtcNow();

        Assert.Equal(UploadStatus.Failed, (await rig.Uploader(collector.Endpoint).UploadAsync(None)).Status);
        Assert.Equal(start + TimeSpan.FromSeconds(120), rig.State().NextAttempt);
        Assert.Equal("http-429", rig.State().LastFailure);

        rig.Time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal(UploadStatus.BackingOff, (await rig.Uploader(collector.Endpoint).UploadAsync(None)).Status);
        rig.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(UploadStatus.Delivered, (await rig.Uploader(collector.Endpoint).UploadAsync(None)).Status);
        Assert.Equal(2, collector.Requests.Count);
    }

    [Fact]
    public async Task Upload_ServiceUnavailableWithRetryAfterDate_WaitsUntilThatDate()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        var until = rig.Time.GetUtcNow() + TimeSpan.FromMinutes(7);
        collector.Respond = (_, context) =>
        {
            context.Response.Headers.RetryAfter = until.ToString("R", CultureInfo.InvariantCulture);
            return TestCollector.WriteAsync(context, 503, "");
        };
        rig.Track(1);

        await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(until, rig.State().NextAttempt);
        Assert.Single(rig.SpoolFiles());
    }

    [Fact]
    public async Task Upload_SomeItemsRejected_DeletesAllAndRecordsTheRejectedWithReason()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        var ids = rig.Track(4);
        collector.Reject = item => item.GetProperty("id").GetGuid() == ids[1] ? RejectionReasons.UndeclaredProperty : null;

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(new UploadResult(UploadStatus.Delivered, 3, 1), result);
        Assert.Empty(rig.SpoolFiles());
        Assert.Equal([ids[0], ids[2], ids[3]], rig.Sent().Select(e => e.Id));
        var rejected = Assert.Single(new RejectedLog(rig.Home, "sample", rig.Files, rig.Options).Read());
        Assert.Equal(RejectionReasons.UndeclaredProperty, rejected.Reason);
        Assert.Equal("item 1 refused", rejected.Detail);
        Assert.Contains(ids[1].ToString(), rejected.Json);
        Assert.Equal(1, rig.Counters.Rejected(RejectionReasons.UndeclaredProperty));
    }

    [Fact]
    public async Task Upload_BadRequestThatListsEveryItem_IsHandledItemByItem()
    {
        await using var collector = await TestCollector.StartAsync();
        collector.Reject = _ => RejectionReasons.InvalidValue;
        collector.Respond = (request, context) => collector.AcknowledgeAsync(request, context, StatusCodes.Status400BadRequest);
        using var rig = new DeliveryRig();
        rig.Track(2);

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(new UploadResult(UploadStatus.Delivered, 0, 2), result);
        Assert.Empty(rig.SpoolFiles());
        Assert.Empty(rig.Sent());
        Assert.Equal(2, rig.Counters.Rejected(RejectionReasons.InvalidValue));
        Assert.Equal(0, rig.State().Failures);
    }

    [Fact]
    public async Task Upload_BadRequestWithAProblem_KeepsFilesAndWaitsLong()
    {
        await using var collector = await TestCollector.StartAsync();
        collector.Respond = (_, context) => TestCollector.WriteAsync(context, 400, """{"reason":"malformed","detail":"not a batch"}""");
        using var rig = new DeliveryRig();
        rig.Track(2);

        await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(2, rig.SpoolFiles().Length);
        Assert.Equal("http-400", rig.State().LastFailure);
        var now = rig.Time.GetUtcNow();
        AssertWithin(rig.State().NextAttempt, now + (rig.Options.RefusedRetryDelay / 2), now + rig.Options.RefusedRetryDelay);
    }

    [Theory]
    [InlineData("<html>captive portal</html>")]
    [InlineData("")]
    [InlineData("""{"accepted":1,"duplicates":0,"rejected":[]}""")] // accounts for one item of two
    [InlineData("""{"accepted":1,"duplicates":0,"rejected":[{"index":5,"reason":"x"}]}""")] // an index outside the batch
    [InlineData("""{"accepted":0,"duplicates":0,"rejected":[{"index":0,"reason":"x"},{"index":0,"reason":"x"}]}""")] // one item twice
    public async Task Upload_OkButNotABatchResponse_DeletesNothingAndRetriesLater(string body)
    {
        await using var collector = await TestCollector.StartAsync();
        collector.Respond = (_, context) => TestCollector.WriteAsync(context, 200, body, "text/html");
        using var rig = new DeliveryRig();
        rig.Track(2);

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(UploadStatus.Failed, result.Status);
        Assert.Equal(2, rig.SpoolFiles().Length);
        Assert.Empty(rig.Sent());
        Assert.Equal("invalid-response", rig.State().LastFailure);
        var now = rig.Time.GetUtcNow();
        AssertWithin(rig.State().NextAttempt, now + (rig.Options.RetryBaseDelay / 2), now + rig.Options.RetryBaseDelay);
    }

    [Fact]
    public async Task Upload_RejectionNamingAnotherEventsId_DeletesNothing()
    {
        await using var collector = await TestCollector.StartAsync();
        collector.Respond = (_, context) => TestCollector.WriteAsync(
            context, 200, $$"""{"accepted":1,"duplicates":0,"rejected":[{"index":0,"id":"{{Guid.NewGuid()}}","reason":"x"}]}""");
        using var rig = new DeliveryRig();
        rig.Track(2);

        await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(2, rig.SpoolFiles().Length);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(415)]
    [InlineData(404)]
    [InlineData(302)]
    public async Task Upload_RequestRefused_KeepsFilesAndWaitsLong(int status)
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        collector.Respond = (_, context) =>
        {
            context.Response.Headers.Location = "http://example.org/elsewhere";
            return TestCollector.WriteAsync(context, status, """{"reason":"unknown-key","detail":"no"}""");
        };
        rig.Track(2);

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(UploadStatus.Failed, result.Status);
        Assert.Single(collector.Requests);
        Assert.Equal(2, rig.SpoolFiles().Length);
        Assert.Equal($"http-{status}", rig.State().LastFailure);
        var now = rig.Time.GetUtcNow();
        AssertWithin(rig.State().NextAttempt, now + (rig.Options.RefusedRetryDelay / 2), now + rig.Options.RefusedRetryDelay);
    }

    [Fact]
    public async Task Upload_WrongKey_IsRefusedByTheCollector()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        rig.Track(1);

        await rig.Uploader(collector.Endpoint, key: "wrong").UploadAsync(None);

        Assert.Equal("wrong", Assert.Single(collector.Requests).Key);
        Assert.Empty(collector.Stored);
        Assert.Equal("http-401", rig.State().LastFailure);
        Assert.Single(rig.SpoolFiles());
    }

    [Fact]
    public async Task Upload_PayloadTooLarge_SplitsTheBatchUntilItFits()
    {
        await using var collector = await TestCollector.StartAsync();
        collector.Respond = (request, context) => request.Ids.Count > 2
            ? TestCollector.WriteAsync(context, 413, """{"reason":"body-too-large","detail":"too big"}""")
            : collector.AcknowledgeAsync(request, context);
        using var rig = new DeliveryRig();
        var ids = rig.Track(7);

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(new UploadResult(UploadStatus.Delivered, 7, 0), result);
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
        Assert.Empty(rig.SpoolFiles());
        Assert.Equal(ids, rig.Sent().Select(e => e.Id));
    }

    [Fact]
    public async Task Upload_PayloadTooLargeEvenForOneEvent_KeepsItAndWaitsLong()
    {
        await using var collector = await TestCollector.StartAsync();
        collector.Respond = (_, context) => TestCollector.WriteAsync(context, 413, "");
        using var rig = new DeliveryRig();
        rig.Track(4);

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        // Halving down to one event costs a request per level, not one per event.
        Assert.Equal(UploadStatus.Failed, result.Status);
        Assert.Equal([4, 2, 1], collector.Requests.Select(r => r.Ids.Count));
        Assert.Equal(4, rig.SpoolFiles().Length);
        Assert.Equal("http-413", rig.State().LastFailure);
    }

    [Fact]
    public async Task Upload_RefusedEventTheLogCannotWriteAgain_IsDeletedAndTheRestStillGoes()
    {
        // An event spread over lines is re-encoded for the one-line log; a lone surrogate escape cannot be.
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        var good = rig.Track(1);
        var bad = Guid.NewGuid();
        File.WriteAllText(Path.Combine(rig.Home.SpoolDirectory(DeliveryRig.Product), Spool.FileName(rig.Time.GetUtcNow(), bad)), $"{{\n\"id\": \"{bad}\",\n\"x\": \"\\ud800\"}}");
        collector.Reject = item => item.GetProperty("id").GetGuid() == bad ? RejectionReasons.Malformed : null;

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(new UploadResult(UploadStatus.Delivered, 1, 1), result);
        Assert.Equal(good, collector.Stored.Keys);
        Assert.Empty(rig.SpoolFiles());
        Assert.Equal(UploadStatus.NothingToSend, (await rig.Uploader(collector.Endpoint).UploadAsync(None)).Status);
    }

    [Fact]
    public async Task Upload_OptOutErasesTheProductMidUpload_NothingBringsItsFolderBack()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        rig.Track(2);
        collector.Respond = async (request, context) =>
        {
            Directory.Delete(rig.Home.ProductDirectory(DeliveryRig.Product), recursive: true);
            await collector.AcknowledgeAsync(request, context);
        };

        await rig.Uploader(collector.Endpoint).UploadAsync(None);

        // Neither the log of what was sent nor the delivery state recreates what the opt-out erased.
        Assert.False(Directory.Exists(rig.Home.ProductDirectory(DeliveryRig.Product)));
    }

    [Fact]
    public async Task Upload_KilledBeforeTheAcknowledgement_ResendsAndTheCollectorCountsEachEventOnce()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        var ids = rig.Track(5);

        // The collector stores the batch but the uploader is gone before the answer arrives.
        collector.Respond = async (request, context) =>
        {
            await collector.AcknowledgeAsync(request, new DefaultHttpContext());
            await collector.HangAsync(context);
        };
        using var kill = new CancellationTokenSource();
        var first = rig.Uploader(collector.Endpoint).UploadAsync(kill.Token);
        await collector.FirstRequest;
        kill.Cancel();
        Assert.Equal(UploadStatus.Cancelled, (await first).Status);
        Assert.Equal(5, rig.SpoolFiles().Length);
        Assert.Empty(rig.Sent());

        // An upload that never learned its outcome is not a failure: nothing said the collector was down.
        Assert.Equal(0, rig.State().Failures);
        Assert.Null(rig.State().NextAttempt);

        collector.Respond = null;
        var second = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(new UploadResult(UploadStatus.Delivered, 5, 0), second);
        Assert.Empty(rig.SpoolFiles());
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
        Assert.All(ids, id => Assert.Equal(2, collector.Received[id]));
        Assert.Equal(ids, rig.Sent().Select(e => e.Id));
    }

    [Fact]
    public async Task Upload_CorruptAndTruncatedSpoolFiles_AreSetAsideAndTheRestIsSent()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        var ids = rig.Track(2);
        var directory = rig.Home.SpoolDirectory("sample");
        File.WriteAllText(Path.Combine(directory, Spool.FileName(rig.Time.GetUtcNow(), Guid.NewGuid())), "{\"id\":\"6f1c");
        File.WriteAllText(Path.Combine(directory, Spool.FileName(rig.Time.GetUtcNow(), Guid.NewGuid())), "\u0000\u0000");

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(new UploadResult(UploadStatus.Delivered, 2, 0), result);
        Assert.Equal(ids, Assert.Single(collector.Requests).Ids);
        Assert.Empty(rig.SpoolFiles());
        Assert.Equal(2, Directory.GetFiles(rig.Home.CorruptDirectory("sample")).Length);
        Assert.Equal(2, rig.Counters.Dropped(DropReasons.Corrupt));
    }

    [Fact]
    public async Task Upload_AnotherUploaderHoldsTheLock_ReturnsAtOnceWithoutSending()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        rig.Track(1);
        Directory.CreateDirectory(rig.Home.Root);
        using (rig.Files.TryLock(rig.Home.UploadLock))
        {
            Assert.Equal(UploadStatus.Busy, (await rig.Uploader(collector.Endpoint).UploadAsync(None)).Status);
        }

        Assert.Empty(collector.Requests);
        Assert.Equal(UploadStatus.Delivered, (await rig.Uploader(collector.Endpoint).UploadAsync(None)).Status);
    }

    [Fact]
    public async Task Upload_AcknowledgedFileCannotBeDeleted_IsNotSentTwiceInOneRun()
    {
        await using var collector = await TestCollector.StartAsync();
        var files = new FaultyFileSystem();
        using var rig = new DeliveryRig(files);
        rig.Track(3);
        files.Fault = (operation, _) => operation == "DeleteFile" ? new UnauthorizedAccessException("read-only") : null;

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(new UploadResult(UploadStatus.Delivered, 3, 0), result);
        Assert.Single(collector.Requests);
        Assert.Equal(3, rig.SpoolFiles().Length);
    }

    [Fact]
    public async Task Upload_DiskFullForTheLog_StillDeletesWhatTheCollectorHas()
    {
        await using var collector = await TestCollector.StartAsync();
        var files = new FaultyFileSystem();
        using var rig = new DeliveryRig(files);
        rig.Track(2);
        files.Fault = (operation, _) => operation == "AppendLines" ? FaultyFileSystem.DiskFull() : null;

        var result = await rig.Uploader(collector.Endpoint).UploadAsync(None);

        Assert.Equal(UploadStatus.Delivered, result.Status);
        Assert.Empty(rig.SpoolFiles());
        Assert.Equal("sent-log-write-failed", rig.Counters.LastFailure);
    }

    [Fact]
    public async Task Upload_StateFromAClockSetBack_DoesNotSilenceDelivery()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        rig.Track(1);
        new DeliveryStateStore(rig.Home.DeliveryState("sample"), rig.Files)
            .Save(new DeliveryState { Failures = 1, NextAttempt = rig.Time.GetUtcNow().AddYears(1) });

        Assert.Equal(UploadStatus.Delivered, (await rig.Uploader(collector.Endpoint).UploadAsync(None)).Status);
    }

    [Fact]
    public async Task Upload_EightUploadersOfTwoProductsInOneProcess_DeliverEveryEventExactlyOnce()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        const int Runs = 8;
        const int EventsPerRun = 50;

        // Two clients in one process must exclude each other like two processes: each run here has its own
        // spool, uploader, HTTP client and lock handle (sixteen processes are in EventDeliveryTests).
        // Real time, because runs must interleave freely.
        var tracked = new Guid[Runs][];
        var runs = Enumerable.Range(0, Runs).Select(run => Task.Run(async () =>
        {
            var product = run % 2 == 0 ? "tool-a" : "tool-b";
            var spool = new Spool(rig.Home, product, rig.Files, TimeProvider.System, rig.Options, new DeliveryCounters());
            var uploader = rig.Uploader(collector.Endpoint, product, time: TimeProvider.System);
            tracked[run] = new Guid[EventsPerRun];
            for (var i = 0; i < EventsPerRun; i++)
            {
                var id = Guid.NewGuid();
                tracked[run][i] = id;
                Assert.True(spool.TryWrite(id, DeliveryRig.WireJson(id, product, DateTimeOffset.UtcNow)));
                if (i % 10 == 9)
                {
                    var result = await uploader.UploadAsync(None);
                    // Backing off: another run's upload is in flight, and has recorded the wait its failure would leave.
                    Assert.Contains(result.Status, new[] { UploadStatus.Delivered, UploadStatus.Busy, UploadStatus.BackingOff, UploadStatus.NothingToSend });
                }
            }
        })).ToArray();
        await Task.WhenAll(runs);

        // What a busy lock left behind goes with a later run of each tool.
        foreach (var product in new[] { "tool-a", "tool-b" })
        {
            var result = await rig.Uploader(collector.Endpoint, product, time: TimeProvider.System).UploadAsync(None);
            Assert.NotEqual(UploadStatus.Failed, result.Status);
            Assert.Empty(rig.SpoolFiles(product));
        }

        var all = tracked.SelectMany(ids => ids).ToArray();
        Assert.Equal(Runs * EventsPerRun, all.Distinct().Count());
        Assert.Equal(all.Order(), collector.Stored.Keys.Order());
        Assert.All(all, id => Assert.Equal(1, collector.Received[id]));
        for (var run = 0; run < Runs; run++)
        {
            var product = run % 2 == 0 ? "tool-a" : "tool-b";
            Assert.All(tracked[run], id => Assert.Equal(product, collector.Stored[id]));
        }

        Assert.Equal(all.Length / 2, rig.Sent("tool-a").Select(e => e.Id).Distinct().Count());
        Assert.Equal(all.Length / 2, rig.Sent("tool-b").Select(e => e.Id).Distinct().Count());
    }

    private static void AssertWithin(DateTimeOffset? actual, DateTimeOffset low, DateTimeOffset high)
    {
        Assert.NotNull(actual);
        Assert.InRange(actual.Value, low, high);
    }
}
