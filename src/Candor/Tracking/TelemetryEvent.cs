using System.Runtime.CompilerServices;
using Candor.Manifest;
using Candor.Protocol;

namespace Candor.Tracking;

/// <summary>
/// An event being built: add declared properties and measurements with <c>With</c>, then call
/// <see cref="Track"/>. Every method is cheap, never blocks and never throws; with telemetry off, or for an
/// undeclared event, the builder is empty and every call returns at once.
/// </summary>
/// <remarks>
/// Values are checked against the manifest as they are added: an undeclared property, a value of the wrong
/// type or an enum value that is not listed is dropped here, before anything is queued, and counted by
/// reason (see <see cref="CandorClient.Dropped"/>). Privacy transforms (keyed hashes, buckets, scrubbed
/// stacks) run later on a background thread; the raw value never leaves the process.
/// </remarks>
public readonly struct TelemetryEvent
{
    private readonly EventPipeline? _pipeline;
    private readonly PendingEvent? _pending;

    internal TelemetryEvent(EventPipeline pipeline, PendingEvent pending)
    {
        _pipeline = pipeline;
        _pending = pending;
    }

    /// <summary>Whether the event will be recorded (telemetry is on for it and it is declared).</summary>
    public bool IsEnabled => _pending is not null;

    /// <summary>Sets an <c>enum</c>, <c>hash</c>, <c>version</c> or <c>nameOrHash</c> property.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TelemetryEvent With(string name, string? value) => _pending is null ? this : WithText(name, value);

    private TelemetryEvent WithText(string name, string? value)
    {
        if (Field(name) is not { } field)
        {
            return this;
        }

        var fits = value is not null && field.Kind switch
        {
            FieldKind.Enum => field.IndexOfValue(value) >= 0,
            FieldKind.Hash or FieldKind.Version or FieldKind.NameOrHash => true,
            _ => false,
        };
        return Set(fits, FieldValue.Text(field, value!));
    }

    /// <summary>Sets a <c>bool</c> property (kmpkg's <c>track_feature</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TelemetryEvent With(string name, bool value) => _pending is null ? this : WithBool(name, value);

    private TelemetryEvent WithBool(string name, bool value)
    {
        if (Field(name) is not { } field)
        {
            return this;
        }

        return Set(field.Kind == FieldKind.Bool, FieldValue.Numeric(field, value ? 1 : 0));
    }

    /// <summary>Sets a <c>number</c> measurement (kmpkg's <c>track_metric</c>), a <c>duration</c> in milliseconds, or a <c>bucket</c> property.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TelemetryEvent With(string name, double value) => _pending is null ? this : WithNumber(name, value);

    private TelemetryEvent WithNumber(string name, double value)
    {
        if (Field(name) is not { } field)
        {
            return this;
        }

        var fits = double.IsFinite(value) && field.Kind switch
        {
            FieldKind.Number or FieldKind.Duration => PropertyGrammar.CheckMeasurement(field, value) is null,
            FieldKind.Bucket => true,
            _ => false,
        };
        return Set(fits, FieldValue.Numeric(field, value));
    }

    /// <summary>Sets a <c>number</c> measurement, a <c>duration</c> in milliseconds, or a <c>bucket</c> property.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TelemetryEvent With(string name, long value) => _pending is null ? this : WithNumber(name, value);

    /// <summary>Sets a <c>duration</c> measurement (kmpkg's <c>track_buildtime</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TelemetryEvent With(string name, TimeSpan value) => _pending is null ? this : WithDuration(name, value);

    private TelemetryEvent WithDuration(string name, TimeSpan value)
    {
        if (Field(name) is not { } field)
        {
            return this;
        }

        var milliseconds = value.TotalMilliseconds;
        return Set(field.Kind == FieldKind.Duration && PropertyGrammar.CheckMeasurement(field, milliseconds) is null, FieldValue.Numeric(field, milliseconds));
    }

    /// <summary>Sets a <c>version</c> property.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TelemetryEvent With(string name, Version? value) => _pending is null ? this : WithText(name, value?.ToString());

    /// <summary>Sets a <c>stack</c> property: the exception is reduced to a scrubbed signature, without messages or paths.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TelemetryEvent With(string name, Exception? value) => _pending is null ? this : WithStack(name, value);

    private TelemetryEvent WithStack(string name, Exception? value)
    {
        if (Field(name) is not { } field)
        {
            return this;
        }

        return Set(value is not null && field.Kind == FieldKind.Stack, FieldValue.Object(field, value!));
    }

    /// <summary>Sets a <c>list</c> property; items past the declared maximum are dropped and counted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TelemetryEvent With(string name, IEnumerable<string>? values) => _pending is null ? this : WithList(name, values);

    private TelemetryEvent WithList(string name, IEnumerable<string>? values)
    {
        if (Field(name) is not { } field)
        {
            return this;
        }

        var fits = values is not null && field.Kind == FieldKind.List;

        // Copied now: the caller may reuse or change its collection after this call returns.
        return Set(fits, FieldValue.Object(field, fits ? values!.ToArray() : Array.Empty<string>()));
    }

    /// <summary>Queues the event for writing. Never blocks and never throws; a full queue drops the event and counts it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Track()
    {
        if (_pending is not null)
        {
            _pipeline!.Enqueue(_pending);
        }
    }

    private FieldDefinition? Field(string name)
    {
        var field = name is null ? null : _pending!.Definition!.Lookup(name);
        if (field is null)
        {
            _pipeline!.Drops.Add(DropReason.UndeclaredProperty);
        }

        return field;
    }

    private TelemetryEvent Set(bool fits, in FieldValue value)
    {
        if (fits)
        {
            _pending!.Set(value);
        }
        else
        {
            _pipeline!.Drops.Add(DropReason.InvalidValue);
        }

        return this;
    }
}
