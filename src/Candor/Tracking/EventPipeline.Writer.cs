using Candor.Diagnostics;

namespace Candor.Tracking;

internal sealed partial class EventPipeline
{
    // What reads the queue, on whichever thread holds it; the stamp is made on first use, there unless a trace
    // listener needed it first.
    private sealed class Writer(EventPipeline pipeline) : IDisposable
    {
        private readonly EventSerializer _serializer = new(pipeline.Drops);
        private readonly EventIds _ids = new();

        /// <summary>
        /// The run has proved long: what is cheaper per event but costly to start is taken now (see
        /// <see cref="EventIds.UsePlatformGenerator"/> and <see cref="EventSerializer.UseVectorisedIds"/>). Any thread.
        /// </summary>
        public void StartLongRun()
        {
            _ids.UsePlatformGenerator();
            _serializer.UseVectorisedIds();
        }

        public void Dispose()
        {
            _serializer.Dispose();
            _ids.Dispose();
        }

        // Writes until the queue is empty or, with yieldToFlush, a flush asks for the queue (see Flush).
        public int WriteQueued(bool yieldToFlush = false)
        {
            var queue = pipeline._queue;
            var written = 0;
            while (queue.TryDequeue(out var pending))
            {
                Write(pending);
                written++;
                pipeline._flushes.Advance(queue.Taken);
                if (yieldToFlush && pipeline._handover != 0)
                {
                    return written;
                }
            }

            pipeline._flushes.Idle();
            return written;
        }

        // A flush's share: the events claimed before it, and no more, so a flush on a busy queue ends; it stops at the
        // deadline (Environment.TickCount64), looked at every few events, after the event in hand.
        public void WriteUpTo(long target, long deadline)
        {
            var queue = pipeline._queue;
            var written = 0;
            while (queue.Taken < target && queue.TryDequeue(out var pending))
            {
                Write(pending);
                pipeline._flushes.Advance(queue.Taken);
                if (++written % DeadlineEvery == 0 && Environment.TickCount64 >= deadline)
                {
                    break;
                }
            }

            pipeline._flushes.Idle();
        }

        // Reading the clock costs more than a check per event is worth; a few events take microseconds in memory.
        private const int DeadlineEvery = 8;

        private void Write(PendingEvent pending)
        {
            try
            {
                pending.AssignId(_ids);
                var json = pending.Json.IsEmpty ? _serializer.Write(pending, pipeline._stamp.Value) : pending.Json;
                if (!pipeline.Sinks.Write(pending.Id, pending.Definition!, json))
                {
                    pipeline.Drops.Add(DropReason.SpoolFull);
                }
            }
            catch (Exception ex)
            {
                pipeline.Drops.Add(DropReason.InternalError);
                SelfLog.Failure("writing an event", ex);
            }
            finally
            {
                pipeline._pool.Return(pending);
            }
        }
    }
}
