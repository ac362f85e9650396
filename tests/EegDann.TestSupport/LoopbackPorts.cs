using System.Net;
using System.Net.Sockets;

namespace EegDann.TestSupport;

/// <summary>Free ports on 127.0.0.1 for tests that run concurrently with others on the same machine.</summary>
public static class LoopbackPorts
{
    /// <summary>A free UDP port (the system's choice).</summary>
    public static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// A range of <paramref name="count"/> consecutive ports free for both UDP and TCP, below the
    /// ephemeral range and random per call, so concurrent tests do not meet (an LSL outlet and its
    /// resolver scan such a range).
    /// </summary>
    public static int FreePortRange(int count)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int start = Random.Shared.Next(15000, 30000);
            if (Enumerable.Range(start, count).All(IsFree))
            {
                return start;
            }
        }

        throw new InvalidOperationException("no free port range on 127.0.0.1");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            var tcp = new TcpListener(IPAddress.Loopback, port);
            tcp.Start();
            tcp.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
