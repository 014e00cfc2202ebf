using Candor.Manifest;

namespace Candor.Tracking;

/// <summary>
/// An event between <see cref="TelemetryEvent"/> and the background writer. Instances are pooled so that
/// tracking allocates nothing in the steady state.
/// </summary>
internal sealed class PendingEvent
{
    private FieldValue[] _values;

    public PendingEvent()
    {
        _values = new FieldValue[8];
    }

    public EventDefinition? Definition { get; private set; }

    public Guid Id { get; private set; }

    public DateTimeOffset Time { get; private set; }

    public int Count { get; private set; }

    /// <summary>The value at <paramref name="index"/>, below <see cref="Count"/>.</summary>
    /// <remarks>By index, not as a span: a span over this type is generic code a ReadyToRun tool compiles at run time.</remarks>
    public ref readonly FieldValue Value(int index) => ref _values[index];

    /// <summary>
    /// Gives the event its ID unless it has one (made for a trace listener); the writer does it, so that tracking does
    /// not pay for the random bytes.
    /// </summary>
    public void AssignId(EventIds ids)
    {
        if (Id == Guid.Empty)
        {
            Id = ids.Next();
        }
    }

    /// <summary>Gives the event an ID on a tracking thread, where the writer's <see cref="EventIds"/> may not be used.</summary>
    public void AssignId()
    {
        if (Id == Guid.Empty)
        {
            Id = Guid.NewGuid();
        }
    }

    /// <summary>The event's JSON when it was made on the tracking thread (for a trace listener); empty otherwise.</summary>
    public ReadOnlyMemory<byte> Json { get; set; }

    public void Start(EventDefinition definition, DateTimeOffset time)
    {
        Definition = definition;
        Time = time;
        Count = 0;
    }

    /// <summary>Sets a value, replacing an earlier one of the same field so the last call wins.</summary>
    public void Set(in FieldValue value)
    {
        for (var i = 0; i < Count; i++)
        {
            if (ReferenceEquals(_values[i].Field, value.Field))
            {
                _values[i] = value;
                return;
            }
        }

        if (Count == _values.Length)
        {
            Array.Resize(ref _values, _values.Length * 2);
        }

        _values[Count++] = value;
    }

    public void Clear()
    {
        Array.Clear(_values, 0, Count);
        Count = 0;
        Definition = null;
        Id = Guid.Empty;
        Json = default;
    }
}
