using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Candor.Tests.Delivery;

/// <summary>A loopback port that is bound but not listening: every connection is refused.</summary>
internal sealed class RefusingEndpoint : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RefusingEndpoint()
    {
        // Holding the port bound keeps another test from listening on it while this one expects refusals.
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_socket.LocalEndPoint!).Port}");
    }

    public Uri Endpoint { get; }

    public void Dispose() => _socket.Dispose();
}

/// <summary>A server that accepts connections and never reads or answers: a black hole.</summary>
internal sealed class BlackHole : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentBag<Socket> _held = [];
    private readonly TaskCompletionSource _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BlackHole()
    {
        _listener.Start();
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _ = AcceptAsync();
    }

    public Uri Endpoint { get; }

    /// <summary>Completes when the first connection has been accepted.</summary>
    public Task Accepted => _accepted.Task;

    public void Dispose()
    {
        _listener.Stop();
        foreach (var socket in _held)
        {
            socket.Dispose();
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                _held.Add(await _listener.AcceptSocketAsync());
                _accepted.TrySetResult();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
