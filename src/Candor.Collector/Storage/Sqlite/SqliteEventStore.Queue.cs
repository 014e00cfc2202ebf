using System.Threading.Channels;

namespace Candor.Collector.Storage.Sqlite;

internal sealed partial class SqliteEventStore
{
    // ---- the writer ---------------------------------------------------------------------------------------

    private Task<T> Enqueue<T>(int events, Func<SqliteWriter, T> action)
    {
        var work = new SqliteWork<T>(events, action);
        Interlocked.Add(ref _backlog, events);
        if (!_queue.Writer.TryWrite(work))
        {
            Interlocked.Add(ref _backlog, -events);
            return Task.FromException<T>(new ObjectDisposedException(nameof(SqliteEventStore)));
        }

        return work.Task;
    }

    private void RunWriter(TaskCompletionSource done)
    {
        try
        {
            var batch = new List<SqliteWork>();
            while (WaitForWork())
            {
                batch.Clear();
                var events = 0;
                while (events < _options.MaxEventsPerTransaction && _queue.Reader.TryRead(out var work))
                {
                    batch.Add(work);
                    events += work.Events;
                }

                _pace.Started(events);
                Commit(batch);
                Interlocked.Add(ref _backlog, -events);
                _pace.Finished(moreWaiting: _queue.Reader.TryPeek(out _));
            }

            done.SetResult();
        }
        catch (Exception ex)
        {
            done.SetException(ex);
        }
    }

    // Blocks the calling thread until the channel has something; false once it is completed and drained.
    private bool WaitForWork() => WaitToRead(_queue.Reader);

    private static bool WaitToRead(ChannelReader<SqliteWork> reader)
    {
        var waiting = reader.WaitToReadAsync();
        return waiting.IsCompleted ? waiting.Result : waiting.AsTask().GetAwaiter().GetResult();
    }

    // Group flush: one fsync of the log covers every commit the writer finished before it started, however many
    // requests those were, and the writer goes on with the next transaction meanwhile instead of waiting for the
    // disk. Only after the fsync are the callers told; if it fails, every one of them gets the exception (the
    // ingestion endpoint answers 503 with Retry-After, and the retry finds its events stored: duplicates).
    private void RunFlusher(FileStream wal, TaskCompletionSource done)
    {
        try
        {
            var group = new List<SqliteWork>();
            while (WaitToRead(_committed.Reader))
            {
                group.Clear();
                while (_committed.Reader.TryRead(out var work))
                {
                    group.Add(work);
                }

                Exception? failure = null;
                try
                {
                    _flushWal(wal);
                }
                catch (Exception ex)
                {
                    failure = ex;
                }

                foreach (var work in group)
                {
                    if (failure is null)
                    {
                        work.Complete();
                    }
                    else
                    {
                        work.Fail(failure);
                    }
                }
            }

            done.SetResult();
        }
        catch (Exception ex)
        {
            done.SetException(ex);
        }
    }

    // The work is committed; it is done once it is also on the disk, when that is asked for.
    private void Committed(SqliteWork work)
    {
        if (_flusherLoop is null)
        {
            work.Complete();
        }
        else if (!_committed.Writer.TryWrite(work))
        {
            // Not reached: the flusher's queue closes only after the writer has stopped.
            work.Fail(new ObjectDisposedException(nameof(SqliteEventStore)));
        }
    }

    private void Commit(List<SqliteWork> batch)
    {
        var writer = _writer!;
        try
        {
            writer.Run(batch);
        }
        catch (Exception) when (batch.Count > 1)
        {
            // One bad piece of work must not fail the others that happened to share its transaction.
            foreach (var work in batch)
            {
                Commit([work]);
            }

            return;
        }
        catch (Exception ex)
        {
            foreach (var work in batch)
            {
                work.Fail(ex);
            }

            return;
        }

        Interlocked.Increment(ref _commits);
        foreach (var work in batch)
        {
            Committed(work);
        }
    }
}
