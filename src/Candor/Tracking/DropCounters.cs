using System.Collections.ObjectModel;

namespace Candor.Tracking;

/// <summary>Counts what was dropped, by reason, without locks (as OpenTelemetry's DroppedCount does).</summary>
internal sealed class DropCounters
{
    /// <summary>
    /// How many reasons there are: the last one's value plus one. Not <c>Enum.GetValues</c>, whose reflection costs a
    /// few milliseconds of every run; a test checks that every reason fits.
    /// </summary>
    internal const int ReasonCount = (int)DropReason.InternalError + 1;

    private readonly long[] _counts = new long[ReasonCount];

    public void Add(DropReason reason, long count = 1)
    {
        Interlocked.Add(ref _counts[(int)reason], count);
        if (Diagnostics.CandorTrace.Source is { } source && source.IsEnabled())
        {
            // Checked here, as naming the reason allocates and a drop may happen once per tracked event.
            source.Dropped(reason.ToString(), count);
        }
    }

    public long this[DropReason reason] => Interlocked.Read(ref _counts[(int)reason]);

    public IReadOnlyDictionary<DropReason, long> Snapshot()
    {
        var result = new Dictionary<DropReason, long>();
        for (var i = 0; i < _counts.Length; i++)
        {
            var count = Interlocked.Read(ref _counts[i]);
            if (count > 0)
            {
                result[(DropReason)i] = count;
            }
        }

        return new ReadOnlyDictionary<DropReason, long>(result);
    }
}
