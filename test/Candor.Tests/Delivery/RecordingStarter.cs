using Candor.Delivery;
using Candor.Storage;

namespace Candor.Tests.Delivery;

/// <summary>Stands in for starting the detached uploader: records each start and says whether it succeeded.</summary>
internal sealed class RecordingStarter(bool succeeds = true) : IUploaderStarter
{
    private readonly List<(string Home, bool WaitForLock)> _starts = [];

    public IReadOnlyList<(string Home, bool WaitForLock)> Starts
    {
        get
        {
            lock (_starts)
            {
                return [.. _starts];
            }
        }
    }

    public bool TryStart(CandorHome home, TimeSpan lifetime, bool waitForLock)
    {
        lock (_starts)
        {
            _starts.Add((home.Root, waitForLock));
        }

        return succeeds;
    }
}
