using System.Threading.Channels;

namespace Candor.Collector.Storage.Sqlite;

internal sealed partial class SqliteEventStore
{
    // ---- the writer ---------------------------------------------------------------------------------------

    private Task<T> Enqueue<T>(int events, Func<SqliteWriter, T> action)
    {
        var work = new SqliteWork<T>(events, action);
        return _queue.TryAdd(work) ? work.Task : Task.FromException<T>(new ObjectDisposedException(nameof(SqliteEventStore)));
    }

    // The writer's transactions are synchronous, so each WriteWaitingAsync completes on this thread without waiting.
    private void RunWriter(TaskCompletionSource done)
    {
        try
        {
            var batch = new List<SqliteWork>();
            while (_queue.Wait())
            {
                _queue.WriteWaitingAsync(_pace, batch).GetAwaiter().GetResult();
            }

            done.SetResult();
        }
        catch (Exception ex)
        {
            done.SetException(ex);
        }
    }

    private Task Write(List<SqliteWork> batch)
    {
        _writer!.Run(batch);
        Interlocked.Increment(ref _commits);
        return Task.CompletedTask;
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
            while (_committed.Reader.WaitToReadBlocking())
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
}
