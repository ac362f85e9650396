using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace EegDann.Cli.Tests;

/// <summary>Receives a daemon's decision datagrams on a free loopback UDP port (give it as --udp or Daemon:Output:Udp) and keeps them in arrival order.</summary>
internal sealed class DecisionListener : IAsyncDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly List<JsonElement> _decisions = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _listening;

    public DecisionListener()
    {
        // A larger receive buffer so a listener starved on a loaded machine does not lose datagrams: the kernel
        // caps SO_RCVBUF at net.core.rmem_max (about 200 KB, a few hundred datagrams); as root SO_RCVBUFFORCE
        // (SOL_SOCKET 1, option 33 on Linux) may go beyond it.
        _udp.Client.ReceiveBufferSize = 4 << 20;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                _udp.Client.SetRawSocketOption(1, 33, BitConverter.GetBytes(4 << 20));
            }
            catch (SocketException)
            {
                // Not root: keep the capped buffer.
            }
        }
        _listening = ListenAsync();
    }

    /// <summary>The port it listens on.</summary>
    public int Port => ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;

    /// <summary>Decisions received so far.</summary>
    public int Count
    {
        get
        {
            lock (_decisions)
            {
                return _decisions.Count;
            }
        }
    }

    /// <summary>A copy of the decisions received so far, in arrival order.</summary>
    public JsonElement[] Decisions()
    {
        lock (_decisions)
        {
            return [.. _decisions];
        }
    }

    /// <summary>Waits until no datagram arrived for 200 ms: those a stopped daemon sent may still sit in the socket.</summary>
    public async Task DrainAsync()
    {
        int seen = -1;
        while (Count != seen)
        {
            seen = Count;
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        try
        {
            await _listening;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped listening.
        }

        _stop.Dispose();
    }

    private async Task ListenAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var datagram = await _udp.ReceiveAsync(_stop.Token);
            using var json = JsonDocument.Parse(datagram.Buffer);
            lock (_decisions)
            {
                _decisions.Add(json.RootElement.Clone());
            }
        }
    }
}
