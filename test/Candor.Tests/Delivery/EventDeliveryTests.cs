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
    public void StartUploadIfDue_FewerEventsThanTheThreshold_StartsNothingAndBuildsNoHttpClient()
    {
        using var rig = new DeliveryRig(options: new DeliveryOptions { UploadAtEvents = 3 });
        using var delivery = Create(rig, new Uri("http://127.0.0.1:9"));
        rig.Track(2);

        delivery.StartUploadIfDue();

        Assert.False(delivery.IsUploading);
        Assert.False(delivery.HasHttpClient);
    }

    [Fact]
    public async Task StartUploadIfDue_EnoughEvents_UploadsThem()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig(options: new DeliveryOptions { UploadAtEvents = 3 });
        using var delivery = Create(rig, collector.Endpoint);
        var ids = rig.Track(3);

        delivery.StartUploadIfDue();

        Assert.True(await delivery.DrainAsync(TimeSpan.FromDays(1)));
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
        Assert.True(delivery.HasHttpClient);
    }

    [Fact]
    public async Task StartUploadIfDue_EarlierFailureStillWaiting_StartsNothing()
    {
        using var refusing = new RefusingEndpoint();
        using var rig = new DeliveryRig(options: new DeliveryOptions { UploadAtEvents = 1 });
        rig.Track(2);
        using (var failing = Create(rig, refusing.Endpoint))
        {
            failing.StartUpload();
            Assert.True(await failing.DrainAsync(TimeSpan.FromDays(1)));
        }

        Assert.Equal("connection-failed", rig.State().LastFailure);

        // A later run, still within the wait: the spool is due, but nothing starts, so its exit waits for nothing.
        using var later = Create(rig, refusing.Endpoint);
        later.StartUploadIfDue();

        Assert.False(later.IsUploading);
        Assert.False(later.HasHttpClient);
        Assert.Equal(2, rig.SpoolFiles().Length);
    }

    [Fact]
    public async Task StartUploadIfDue_EarlierFailuresWaitOver_UploadsAgain()
    {
        await using var collector = await TestCollector.StartAsync();
        using var refusing = new RefusingEndpoint();
        using var rig = new DeliveryRig(options: new DeliveryOptions { UploadAtEvents = 1 });
        var ids = rig.Track(2);
        using (var failing = Create(rig, refusing.Endpoint))
        {
            failing.StartUpload();
            Assert.True(await failing.DrainAsync(TimeSpan.FromDays(1)));
        }

        rig.Time.Advance(rig.Options.RetryBaseDelay);
        using var later = Create(rig, collector.Endpoint);
        later.StartUploadIfDue();

        Assert.True(await later.DrainAsync(TimeSpan.FromDays(1)));
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
        Assert.Empty(rig.SpoolFiles());
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
        Assert.Equal("interrupted", rig.State().LastFailure);
        delivery.StartUpload();
        Assert.False(delivery.IsUploading);
    }

    [Fact]
    public async Task SixteenProcessesOfTwoTools_DeliverEveryEventExactlyOnce()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        const int EventsPerRun = 100;
        var products = Enumerable.Range(0, 16).Select(run => run % 2 == 0 ? "tool-a" : "tool-b").ToArray();

        var processes = products.Select(product => TrackerProcess.Start(rig.Home.Root, product, collector.Endpoint, EventsPerRun)).ToArray();
        var tracked = new Dictionary<Guid, string>();
        using (var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
        {
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
        }

        // What a busy lock left behind goes with a later run of each tool.
        foreach (var product in new[] { "tool-a", "tool-b" })
        {
            using var later = new EventDelivery(rig.Home, product, collector.Endpoint.ToString(), TestCollector.Key);
            later.StartUpload();
            Assert.True(await later.DrainAsync(TimeSpan.FromMinutes(1)));
            Assert.Empty(rig.SpoolFiles(product));
        }

        Assert.Equal(16 * EventsPerRun, tracked.Count);
        Assert.Equal(tracked.OrderBy(p => p.Key), collector.Stored.OrderBy(p => p.Key));
        Assert.All(tracked.Keys, id => Assert.Equal(1, collector.Received[id]));
        Assert.Equal(tracked.Count / 2, rig.Sent("tool-a").Select(e => e.Id).Distinct().Count());
        Assert.Equal(tracked.Count / 2, rig.Sent("tool-b").Select(e => e.Id).Distinct().Count());
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

    private static EventDelivery Create(DeliveryRig rig, Uri endpoint) =>
        new(rig.Home, DeliveryRig.Product, endpoint.ToString(), TestCollector.Key, rig.Options, rig.Files, rig.Time);
}
