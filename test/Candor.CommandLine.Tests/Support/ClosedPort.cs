using System.Net;
using System.Net.Sockets;

namespace Candor.CommandLine.Tests.Support;

/// <summary>
/// A loopback address where nothing listens (the port is bound, so no other test can take it): the collector of
/// an official build whose events must stay spooled. Uploads are refused at once, never hang.
/// </summary>
internal sealed class ClosedPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public ClosedPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_socket.LocalEndPoint!).Port}");
    }

    public Uri Endpoint { get; }

    /// <summary>The variables that make the official pack build send to this address.</summary>
    public Dictionary<string, string> Environment() => new()
    {
        [OfficialPack.EndpointVariable] = Endpoint.ToString(),
        [OfficialPack.KeyVariable] = "test-ingestion-key",

        // These tests read what the runs spooled; an uploader retrying the closed port would race them for the files.
        [OfficialPack.DetachedVariable] = "off",
    };

    public void Dispose() => _socket.Dispose();
}
