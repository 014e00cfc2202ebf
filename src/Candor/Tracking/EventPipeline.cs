using System.Text;
using System.Threading.Channels;
using Candor.Consent;
using Candor.Diagnostics;
using Candor.Manifest;

namespace Candor.Tracking;

/// <summary>
/// From <see cref="TelemetryEvent"/> to the sinks: a bounded channel with one background reader that
/// serialises each event once and hands the bytes to every sink. The tracking side takes no lock and
/// never waits: a full channel drops the event and counts it.
/// </summary>
internal sealed class EventPipeline
{
    private readonly TelemetryManifest _manifest;
    private readonly Channel<PendingEvent> _channel;
    private readonly EventPool _pool = new();
    private readonly TimeProvider _time;
    private readonly Func<EventStamp> _stampFactory;
    private readonly IReadOnlyList<IEventSink> _sinks;
    private readonly Task _reader;
    private readonly TelemetryLevel _builtLevel;

    // A plain field read first on every Track, so "off" costs one load and a compare (Serilog's _minimumLevel).
    private volatile int _level;

    public EventPipeline(
        TelemetryManifest manifest,
        TelemetryLevel level,
        Func<EventStamp> stampFactory,
        IReadOnlyList<IEventSink> sinks,
        TimeProvider time,
        DropCounters drops,
        int capacity)
    {
        _manifest = manifest;
        _level = (int)level;
        _builtLevel = level;
        _stampFactory = stampFactory;
        _sinks = sinks;
        _time = time;
        Drops = drops;
        _channel = Channel.CreateBounded<PendingEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _reader = level == TelemetryLevel.Off ? Task.CompletedTask : Task.Run(ReadAsync);
    }

    public DropCounters Drops { get; }

    public TelemetryLevel Level => (TelemetryLevel)_level;

    /// <summary>
    /// The program's switch (<see cref="CandorTelemetry"/>): off stops recording at once, even for events already
    /// begun; on restores the level the pipeline was built with. It never rises above that level, so a
    /// pipeline built off stays off and no reader ever needs starting.
    /// </summary>
    public void Switch(bool disabled) => _level = disabled ? (int)TelemetryLevel.Off : (int)_builtLevel;

    public TelemetryEvent Begin(string name)
    {
        var level = _level;
        if (level == (int)TelemetryLevel.Off)
        {
            return default;
        }

        var definition = name is null ? null : _manifest.Find(name);
        if (definition is null)
        {
            Drops.Add(DropReason.UndeclaredEvent);
            return default;
        }

        if (level == (int)TelemetryLevel.Errors && definition.Level != Manifest.EventLevel.Error)
        {
            return default;
        }

        var pending = _pool.Rent();
        pending.Start(definition, _time.GetUtcNow());
        return new TelemetryEvent(this, pending);
    }

    public void Enqueue(PendingEvent pending)
    {
        // The level may have dropped to off since Begin (a Disable call): honour it for this event too.
        if (_level == (int)TelemetryLevel.Off)
        {
            _pool.Return(pending);
            return;
        }

        if (!_channel.Writer.TryWrite(pending))
        {
            Drops.Add(_reader.IsCompleted ? DropReason.ShutDown : DropReason.QueueFull);
            _pool.Return(pending);
        }
    }

    /// <summary>Completes when every event tracked before the call has been handed to the sinks, or the budget ends.</summary>
    public async Task<bool> FlushAsync(CancellationToken cancellationToken)
    {
        if (_reader.IsCompleted)
        {
            return true;
        }

        var signal = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            // A flush may wait for room in the queue; only tracking must never wait.
            await _channel.Writer.WriteAsync(PendingEvent.Marker(signal), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return await WaitAsync(_reader, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return await WaitAsync(signal.Task, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops accepting events and waits, within the budget, for the queued ones to be written.</summary>
    public Task<bool> CompleteAsync(CancellationToken cancellationToken)
    {
        _channel.Writer.TryComplete();
        return WaitAsync(_reader, cancellationToken);
    }

    private static async Task<bool> WaitAsync(Task task, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ReadAsync()
    {
        EventStamp? stamp = null;
        using var serializer = new EventSerializer(Drops);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var pending))
            {
                if (pending.FlushSignal is { } signal)
                {
                    signal.TrySetResult(true);
                    continue;
                }

                try
                {
                    stamp ??= _stampFactory();
                    var json = serializer.Write(pending, stamp);
                    if (CandorEventSource.Log.TracesEvents)
                    {
                        CandorEventSource.Log.EventTracked(stamp.Product, pending.Definition!.Name, Encoding.UTF8.GetString(json.Span));
                    }

                    foreach (var sink in _sinks)
                    {
                        WriteTo(sink, pending, json);
                    }
                }
                catch (Exception ex)
                {
                    Drops.Add(DropReason.InternalError);
                    SelfLog.Failure("writing an event", ex);
                }
                finally
                {
                    _pool.Return(pending);
                }
            }
        }
    }

    private static void WriteTo(IEventSink sink, PendingEvent pending, ReadOnlyMemory<byte> json)
    {
        try
        {
            sink.Write(pending.Id, pending.Definition!, json);
        }
        catch (Exception ex)
        {
            // One failing sink (a closed stderr, a full disk) must not starve the others.
            SelfLog.Failure("handing an event to " + sink.GetType().Name, ex);
        }
    }
}
