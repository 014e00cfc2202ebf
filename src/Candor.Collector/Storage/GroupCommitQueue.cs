using System.Threading.Channels;

namespace Candor.Collector.Storage;

/// <summary>
/// Work for a <see cref="GroupCommitQueue{TWork}"/>: written in a transaction it may share with other work, and
/// completed only once that transaction is committed.
/// </summary>
internal abstract class QueuedWork(int events)
{
    /// <summary>How many events the work holds: what it adds to the store's backlog while it waits.</summary>
    public int Events { get; } = events;

    /// <summary>Tells the caller the work is committed, with whatever the write left in it.</summary>
    public abstract void Complete();

    /// <summary>Tells the caller the work was not committed, and why.</summary>
    public abstract void Fail(Exception exception);
}

/// <summary>
/// Group commit, the one way both stores write what requests hand them: callers queue work, and a writer loop takes
/// whatever has queued (up to <see cref="StorageOptions.MaxEventsPerTransaction"/> events) into one transaction, so
/// that many requests share one commit. When that transaction fails and held more than one piece of work, each is
/// written again alone: one bad request must not fail the others that happened to share its transaction. The
/// backlog counts the events queued and not yet committed or failed; it drops before a caller is told, so a caller
/// that saw its events committed never sees them counted.
/// </summary>
/// <param name="maxEventsPerTransaction">How many events one transaction takes at most (work is never split).</param>
/// <param name="write">Writes a batch in one transaction and commits it; throws when it was not committed.</param>
/// <param name="committed">Hands committed work on: completes it, or has it wait for the disk first.</param>
/// <param name="singleReader">Whether only one writer loop reads the queue.</param>
internal sealed class GroupCommitQueue<TWork>(int maxEventsPerTransaction, Func<List<TWork>, Task> write, Action<TWork> committed, bool singleReader)
    where TWork : QueuedWork
{
    private readonly Channel<TWork> _queue = Channel.CreateUnbounded<TWork>(new UnboundedChannelOptions { SingleReader = singleReader });
    private int _backlog;

    /// <summary>Events queued and not yet committed or failed.</summary>
    public int Backlog => Volatile.Read(ref _backlog);

    /// <summary>Queues work; <see langword="false"/> once the queue is completed (the store is closing).</summary>
    public bool TryAdd(TWork work)
    {
        Interlocked.Add(ref _backlog, work.Events);
        if (_queue.Writer.TryWrite(work))
        {
            return true;
        }

        Interlocked.Add(ref _backlog, -work.Events);
        return false;
    }

    /// <summary>Takes no more work; the writer loops end once they have written what is queued.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Waits until work is queued; <see langword="false"/> once the queue is completed and drained.</summary>
    public ValueTask<bool> WaitAsync() => _queue.Reader.WaitToReadAsync();

    /// <summary>As <see cref="WaitAsync"/>, blocking the calling thread (a writer with a thread of its own).</summary>
    public bool Wait() => _queue.Reader.WaitToReadBlocking();

    /// <summary>
    /// Writes what is queued now, up to a transaction's worth, and tells <paramref name="pace"/> how long it took.
    /// Completes synchronously when <c>write</c> does.
    /// </summary>
    /// <param name="pace">The writer loop's pace.</param>
    /// <param name="batch">A list the writer loop reuses for its batches.</param>
    public async Task WriteWaitingAsync(WriterPace pace, List<TWork> batch)
    {
        batch.Clear();
        var events = 0;
        while (events < maxEventsPerTransaction && _queue.Reader.TryRead(out var work))
        {
            batch.Add(work);
            events += work.Events;
        }

        if (batch.Count == 0)
        {
            return;
        }

        pace.Started(events);
        await CommitAsync(batch);
        pace.Finished(moreWaiting: _queue.Reader.TryPeek(out _));
    }

    private async Task CommitAsync(List<TWork> batch)
    {
        try
        {
            await write(batch);
        }
        catch (Exception) when (batch.Count > 1)
        {
            foreach (var work in batch)
            {
                await CommitAsync([work]);
            }

            return;
        }
        catch (Exception ex)
        {
            Interlocked.Add(ref _backlog, -batch[0].Events);
            batch[0].Fail(ex);
            return;
        }

        foreach (var work in batch)
        {
            Interlocked.Add(ref _backlog, -work.Events);
            committed(work);
        }
    }
}
