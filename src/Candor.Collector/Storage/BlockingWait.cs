using System.Threading.Channels;

namespace Candor.Collector.Storage;

/// <summary>Waiting on a channel from a thread of its own (a writer or flusher thread), which has nothing else to do meanwhile.</summary>
internal static class BlockingWait
{
    /// <summary>Blocks the calling thread until the channel has something; <see langword="false"/> once it is completed and drained.</summary>
    public static bool WaitToReadBlocking<T>(this ChannelReader<T> reader)
    {
        var waiting = reader.WaitToReadAsync();
        return waiting.IsCompleted ? waiting.Result : waiting.AsTask().GetAwaiter().GetResult();
    }
}
