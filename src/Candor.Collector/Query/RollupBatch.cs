using Candor.Collector.Storage;

namespace Candor.Collector.Query;

/// <summary>
/// Rollup queries asked together, so that the store answers them in one pass (<see cref="QueryService.RunAsync"/>),
/// and then their answers. A query asked twice is asked of the store once. Not thread-safe: one page or request
/// fills it, runs it and reads it.
/// </summary>
internal sealed class RollupBatch
{
    private readonly List<RollupQuery> _queries = [];
    private readonly Dictionary<RollupQuery, int> _asked = [];
    private IReadOnlyList<RollupAnswer>? _answers;

    /// <summary>The queries asked, in order.</summary>
    public IReadOnlyList<RollupQuery> Queries => _queries;

    /// <summary>The answers, in the order of <see cref="Queries"/>; set once the batch has run.</summary>
    /// <exception cref="InvalidOperationException">Set twice, or with another number of answers than queries.</exception>
    public IReadOnlyList<RollupAnswer> Answers
    {
        get => _answers ?? throw new InvalidOperationException("the batch has not run yet");
        set
        {
            if (_answers is not null || value.Count != _queries.Count)
            {
                throw new InvalidOperationException("a batch is answered once, one answer per query");
            }

            _answers = value;
        }
    }

    /// <summary>The answer to the query asked at <paramref name="asked"/>.</summary>
    /// <exception cref="InvalidOperationException">The batch has not run yet.</exception>
    public RollupAnswer this[int asked] => Answers[asked];

    /// <summary>Asks a query and returns its place, where its answer will be; an equal query asked before keeps its place.</summary>
    /// <exception cref="InvalidOperationException">The batch has run already.</exception>
    public int Ask(RollupQuery query)
    {
        if (_answers is not null)
        {
            throw new InvalidOperationException("the batch has run already");
        }

        if (!_asked.TryGetValue(query, out var place))
        {
            place = _queries.Count;
            _queries.Add(query);
            _asked[query] = place;
        }

        return place;
    }
}
