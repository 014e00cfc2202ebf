using Candor.Delivery;
using Candor.Storage;

namespace Candor.Tests.Delivery;

public class EventDeliveryTests
{
    [Fact]
    public async Task Drain_NoUploadInFlight_ReturnsAtOnceWithoutWaiting()
    {
        using var rig = new DeliveryRig();
        using var delivery = Create(rig, new Uri("https://collector.example.org"));
        rig.Track(3);

        var drain = delivery.DrainAsync();

        Assert.True(drain.IsCompletedSuccessfully);
        Assert.True(await drain);
        Assert.Equal(3, rig.SpoolFiles().Length);
    }

    [Fact]
    public async Task Drain_UploadInFlight_WaitsAtMostTheBudgetAndLeavesTheRestSpooled()
    {
        await using var collector = await TestCollector.StartAsync();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        collector.Respond = async (request, context) =>
        {
            await answer.Task;
            await collector.AcknowledgeAsync(request, context);
        };
        using var rig = new DeliveryRig();
        using var delivery = Create(rig, collector.Endpoint);
        rig.Track(2);

        delivery.StartUpload();
        await collector.FirstRequest;
        var drain = delivery.DrainAsync();
        Assert.False(drain.IsCompleted);
        rig.Time.Advance(rig.Options.ExitBudget);

        Assert.False(await drain);
        Assert.Equal(2, rig.SpoolFiles().Length);

        // The upload goes on in the background; a long-lived host sees it finish.
        answer.SetResult();
        Assert.True(await delivery.DrainAsync(TimeSpan.FromDays(1)));
        Assert.Empty(rig.SpoolFiles());
    }

    [Fact]
    public async Task Drain_UploadFinishesWithinTheBudget_ReturnsTrue()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        using var delivery = Create(rig, collector.Endpoint);
        rig.Track(2);

        delivery.StartUpload();

        // The fake clock stands still, so the budget cannot run out: only the upload can end the wait.
        Assert.True(await delivery.DrainAsync());
        Assert.Empty(rig.SpoolFiles());
        Assert.False(delivery.IsUploading);
    }

    [Fact]
    public async Task Drain_ZeroBudget_NeverWaits()
    {
        using var blackHole = new BlackHole();
        using var rig = new DeliveryRig();
        using var delivery = Create(rig, blackHole.Endpoint);
        rig.Track(1);
        delivery.StartUpload();
        await blackHole.Accepted;

        var drain = delivery.DrainAsync(TimeSpan.Zero);

        Assert.True(drain.IsCompletedSuccessfully);
        Assert.False(await drain);
    }

    [Fact]
    public async Task StartUpload_WhileUploading_RunsOnceMoreForEventsSpooledMeanwhile()
    {
        await using var collector = await TestCollector.StartAsync();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        collector.Respond = async (request, context) =>
        {
            await answer.Task;
            await collector.AcknowledgeAsync(request, context);
        };
        using var rig = new DeliveryRig();
        using var delivery = Create(rig, collector.Endpoint);
        var first = Guid.NewGuid();
        delivery.Spool.TryWrite(first, DeliveryRig.WireJson(first, "sample", rig.Time.GetUtcNow()));

        delivery.StartUpload();
        await collector.FirstRequest;
        var second = Guid.NewGuid();
        rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        delivery.Spool.TryWrite(second, DeliveryRig.WireJson(second, "sample", rig.Time.GetUtcNow()));
        delivery.StartUpload();
        delivery.StartUpload();
        answer.SetResult();

        Assert.True(await delivery.DrainAsync(TimeSpan.FromDays(1)));
        Assert.Equal([[first], [second]], collector.Requests.Select(r => r.Ids.ToArray()));
        Assert.Empty(rig.SpoolFiles());
    }

    [Fact]
    public async Task StartUpload_HomeUnusable_NeverThrows()
    {
        using var rig = new DeliveryRig();
        var blocker = Path.Combine(rig.Root, "blocker");
        File.WriteAllText(blocker, "a file where the home's parent should be");
        rig.Home = new CandorHome(Path.Combine(blocker, "home"));
        using var delivery = Create(rig, new Uri("http://127.0.0.1:9"));

        Assert.False(delivery.Spool.TryWrite(Guid.NewGuid(), "{}"u8));
        delivery.StartUpload();

        Assert.True(await delivery.DrainAsync(TimeSpan.FromDays(1)));
        Assert.Equal(1, delivery.Counters.Dropped(DropReasons.WriteFailed));
    }

    [Fact]
    public void HandOff_EventsWrittenThisRun_AsksForTheProductAndStartsTheUploader()
    {
        using var rig = new DeliveryRig();
        var starter = new RecordingStarter();
        using var delivery = Create(rig, new Uri("http://127.0.0.1:9"), starter);
        Write(delivery, 2);

        Assert.True(delivery.HandOff(uploadInFlight: false));

        Assert.Equal([(rig.Home.Root, false)], starter.Starts);
        Assert.Equal([DeliveryRig.Product], new UploadRequests(rig.Home, rig.Files).Pending());
        Assert.False(delivery.HasHttpClient);
    }

    [Fact]
    public void HandOff_NothingWrittenThisRun_StartsNothing()
    {
        using var rig = new DeliveryRig();
        rig.Track(2);
        var starter = new RecordingStarter();
        using var delivery = Create(rig, new Uri("http://127.0.0.1:9"), starter);

        Assert.True(delivery.HandOff(uploadInFlight: false));

        Assert.Empty(starter.Starts);
        Assert.Empty(new UploadRequests(rig.Home, rig.Files).Pending());
    }

    [Fact]
    public void HandOff_AnotherUploaderHoldsTheLock_AsksButStartsNone()
    {
        using var rig = new DeliveryRig();
        var starter = new RecordingStarter();
        using var delivery = Create(rig, new Uri("http://127.0.0.1:9"), starter);
        Write(delivery, 1);
        using var held = UploadLock.TryTake(rig.Home, rig.Files);
        Assert.NotNull(held);

        Assert.True(delivery.HandOff(uploadInFlight: false));

        // The holder looks for requests when it lets go of the lock, so it sends this one too.
        Assert.Empty(starter.Starts);
        Assert.Equal([DeliveryRig.Product], new UploadRequests(rig.Home, rig.Files).Pending());
    }

    [Fact]
    public void HandOff_UploadInProcessUnfinished_StartsAnUploaderThatWaitsForTheLock()
    {
        using var rig = new DeliveryRig();
        var starter = new RecordingStarter();
        using var delivery = Create(rig, new Uri("http://127.0.0.1:9"), starter);
        Write(delivery, 1);

        Assert.True(delivery.HandOff(uploadInFlight: true));

        Assert.Equal([(rig.Home.Root, true)], starter.Starts);
    }

    [Fact]
    public async Task HandOff_EarlierFailureStillWaiting_StartsNothingAndAppliesTheBounds()
    {
        using var refusing = new RefusingEndpoint();
        using var rig = new DeliveryRig(options: new DeliveryOptions { MaxSpoolFiles = 2 });
        rig.Track(3);
        using (var failing = Create(rig, refusing.Endpoint))
        {
            failing.StartUpload();
            Assert.True(await failing.DrainAsync(TimeSpan.FromDays(1)));
        }

        Assert.Equal("connection-failed", rig.State().LastFailure);
        var starter = new RecordingStarter();
        using var later = Create(rig, refusing.Endpoint, starter);
        Write(later, 1);

        Assert.False(later.HandOff(uploadInFlight: false));

        Assert.Empty(starter.Starts);
        Assert.Empty(new UploadRequests(rig.Home, rig.Files).Pending());
        Assert.Equal(2, rig.SpoolFiles().Length);
    }

    [Fact]
    public void HandOff_DetachedUploadOff_StartsNothing()
    {
        using var rig = new DeliveryRig(options: new DeliveryOptions { DetachedUpload = false });
        var starter = new RecordingStarter();
        using var delivery = Create(rig, new Uri("http://127.0.0.1:9"), starter);
        Write(delivery, 1);

        Assert.False(delivery.HandOff(uploadInFlight: false));

        Assert.Empty(starter.Starts);
        Assert.Single(rig.SpoolFiles());
    }

    [Fact]
    public void HandOff_NoUploaderCanBeStarted_CountsItAndKeepsTheEvents()
    {
        using var rig = new DeliveryRig();
        using var delivery = Create(rig, new Uri("http://127.0.0.1:9"), new RecordingStarter(succeeds: false));
        Write(delivery, 1);

        Assert.False(delivery.HandOff(uploadInFlight: false));

        Assert.Equal("uploader-unavailable", delivery.Counters.LastFailure);
        Assert.Single(rig.SpoolFiles());
    }

    [Fact]
    public async Task UploadInProcess_AfterItLetsGoOfTheLock_StartsTheUploaderForWhatOtherRunsAsked()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        rig.Track(1);
        rig.Track(1, "other-tool");
        new UploadRequests(rig.Home, rig.Files).Add("other-tool");
        var starter = new RecordingStarter();
        using var delivery = Create(rig, collector.Endpoint, starter);

        delivery.StartUpload();
        Assert.True(await delivery.DrainAsync(TimeSpan.FromDays(1)));

        Assert.Equal([(rig.Home.Root, false)], starter.Starts);
    }

    [Fact]
    public async Task UploadInProcess_AnotherUploaderHoldsTheLock_LeavesItARequest()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        rig.Track(1);
        using var delivery = Create(rig, collector.Endpoint, new RecordingStarter());
        using (var held = UploadLock.TryTake(rig.Home, rig.Files))
        {
            delivery.StartUpload();
            Assert.True(await delivery.DrainAsync(TimeSpan.FromDays(1)));
        }

        Assert.Equal([DeliveryRig.Product], new UploadRequests(rig.Home, rig.Files).Pending());
        Assert.Empty(collector.Stored);
    }

    [Fact]
    public async Task Dispose_UploadInFlight_CancelsItAndKeepsTheFiles()
    {
        using var blackHole = new BlackHole();
        using var rig = new DeliveryRig();
        var delivery = Create(rig, blackHole.Endpoint);
        rig.Track(2);
        delivery.StartUpload();
        await blackHole.Accepted;

        delivery.Dispose();

        Assert.True(await delivery.DrainAsync(TimeSpan.FromDays(1)));
        Assert.Equal(2, rig.SpoolFiles().Length);

        // The collector never answered, so nothing says it is down: the next run sends at once.
        Assert.Equal(0, rig.State().Failures);
        delivery.StartUpload();
        Assert.False(delivery.IsUploading);
    }

    [Fact]
    public async Task Dispose_WithoutAnUpload_ThenStartUpload_StartsNothing()
    {
        using var blackHole = new BlackHole();
        using var rig = new DeliveryRig();
        var delivery = Create(rig, blackHole.Endpoint);
        rig.Track(1);

        delivery.Dispose();
        delivery.StartUpload();

        Assert.False(delivery.IsUploading);
        Assert.True(await delivery.DrainAsync(TimeSpan.Zero));
        Assert.Single(rig.SpoolFiles());
    }

    [Fact]
    public async Task SixteenShortRunsOfTwoTools_OnOneHome_DeliverEveryEventExactlyOnce_WithNoLaterRun()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        const int EventsPerRun = 1_000;
        var products = Enumerable.Range(0, 16).Select(run => run % 2 == 0 ? "tool-a" : "tool-b").ToArray();

        var processes = products.Select(product => TrackerProcess.Start(rig.Home.Root, product, collector.Endpoint, EventsPerRun)).ToArray();
        var tracked = new Dictionary<Guid, string>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        for (var run = 0; run < processes.Length; run++)
        {
            using var process = processes[run];
            var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
            var errors = process.StandardError.ReadToEndAsync(deadline.Token);
            await process.WaitForExitAsync(deadline.Token);
            Assert.True(process.ExitCode == 0, $"run {run} exited with {process.ExitCode}: {await errors}");
            foreach (var line in (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                tracked.Add(Guid.Parse(line), products[run]);
            }
        }

        // Every run has exited; the detached uploader sends what they spooled, beyond the spool's 10,000-event bound.
        while (collector.Stored.Count < tracked.Count || rig.SpoolFiles("tool-a").Length + rig.SpoolFiles("tool-b").Length > 0)
        {
            await Task.Delay(100, deadline.Token);
        }

        Assert.Equal(16 * EventsPerRun, tracked.Count);
        Assert.Equal(tracked.OrderBy(p => p.Key), collector.Stored.OrderBy(p => p.Key));
        Assert.All(tracked.Keys, id => Assert.Equal(1, collector.Received[id]));

        // The log of what was sent is bounded (1 MiB): it keeps the latest, each one of this product's.
        foreach (var product in new[] { "tool-a", "tool-b" })
        {
            var sent = rig.Sent(product);
            Assert.NotEmpty(sent);
            Assert.All(sent, e => Assert.Equal(product, tracked[e.Id]));
        }
    }

    [Fact]
    public async Task ExitDuringAnUploadInProcess_TheDetachedUploaderFinishesIt_AndNothingIsCountedAsAFailure()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();

        // The first request is stored but answered only after the run has given up on it and exited.
        collector.Respond = async (request, context) =>
        {
            collector.Respond = null;
            await Task.Delay(TimeSpan.FromSeconds(2));
            await collector.AcknowledgeAsync(request, context);
        };
        using var process = TrackerProcess.Start(rig.Home.Root, DeliveryRig.Product, collector.Endpoint, 5, "in-process");
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var errors = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        Assert.True(process.ExitCode == 0, $"the run exited with {process.ExitCode}: {await errors}");
        var ids = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).ToArray();

        while (collector.Stored.Count < ids.Length || rig.SpoolFiles().Length > 0 || File.Exists(rig.Home.UploadRequest(DeliveryRig.Product)))
        {
            await Task.Delay(50, deadline.Token);
        }

        // The unanswered batch went again (the collector counts it once); nothing says the collector failed.
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
        Assert.All(ids, id => Assert.InRange(collector.Received[id], 1, 2));
        Assert.True(!File.Exists(rig.Home.DeliveryState(DeliveryRig.Product)) || rig.State().Failures == 0);
    }

    [Theory]
    [InlineData("http://collector.example.org", "must use https://")]
    [InlineData("ftp://collector.example.org", "not an absolute https:// URL")]
    [InlineData("collector.example.org", "not an absolute https:// URL")]
    public void Constructor_EndpointNotHttps_ThrowsAtConfigurationTime(string endpoint, string message)
    {
        using var rig = new DeliveryRig();

        var e = Assert.Throws<ArgumentException>(() => new EventDelivery(rig.Home, "sample", endpoint, TestCollector.Key));

        Assert.Contains(message, e.Message);
    }

    [Fact]
    public async Task Constructor_EndpointTheBuildChecked_IsNotParsedUntilAnUploadNeedsIt()
    {
        // The compiled manifest's address was checked by the build (BuildFacts.EndpointProblem); the client takes it as
        // checked. Should an address the build never checked get there anyway, the upload fails and counts it, and
        // the events stay spooled: it never throws into the tool.
        using var rig = new DeliveryRig();
        var delivery = new EventDelivery(rig.Home, DeliveryRig.Product, "collector.example.org", TestCollector.Key, rig.Options, rig.Files, rig.Time, starter: new RecordingStarter(), endpointChecked: true);
        Write(delivery, 1);

        delivery.StartUpload();

        Assert.True(await delivery.DrainAsync(TimeSpan.FromDays(1)));
        Assert.Single(rig.SpoolFiles());
        Assert.NotNull(delivery.Counters.LastFailure);
    }

    [Theory]
    [InlineData("")]
    [InlineData("key with spaces")]
    [InlineData("key\r\nX-Evil: 1")]
    public void Constructor_KeyNotAHeaderValue_Throws(string key)
    {
        using var rig = new DeliveryRig();

        Assert.ThrowsAny<ArgumentException>(() => new EventDelivery(rig.Home, "sample", "https://collector.example.org", key));
    }

    [Fact]
    public void Constructor_OptionOutOfRange_ThrowsNamingIt()
    {
        using var rig = new DeliveryRig();
        var options = new DeliveryOptions { MaxSpoolFiles = 0 };

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new EventDelivery(rig.Home, "sample", "https://collector.example.org", TestCollector.Key, options));

        Assert.Contains("DeliveryOptions.MaxSpoolFiles", e.Message);
    }

    private static EventDelivery Create(DeliveryRig rig, Uri endpoint, IUploaderStarter? starter = null) =>
        new(rig.Home, DeliveryRig.Product, endpoint.ToString(), TestCollector.Key, rig.Options, rig.Files, rig.Time, starter: starter ?? new RecordingStarter());

    // Spools events the way the client's sink does: written and counted as this run's.
    private static void Write(EventDelivery delivery, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid();
            Assert.True(delivery.Spool.TryWrite(id, DeliveryRig.WireJson(id, DeliveryRig.Product, DateTimeOffset.UtcNow)));
            delivery.NoteWritten();
        }
    }
}
