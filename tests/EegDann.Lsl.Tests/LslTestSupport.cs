using System.Net;
using System.Net.Sockets;
using EegDann.FakeLslOutlet;
using EegDann.Lsl;
using EegDann.TestSupport;

namespace EegDann.Lsl.Tests;

/// <summary>The captures file and loopback-only settings for tests.</summary>
internal static class LslTestSupport
{
    private static readonly Lazy<LslCaptures> LoadedCaptures = new(() => LslCaptures.Load(TestData.TestDataFile("lsl", "liblsl-1.17.5-captures.json")));

    public static LslCaptures Captures => LoadedCaptures.Value;

    /// <summary>Settings that query exactly these ports on 127.0.0.1 (the query port plus a sweep of the range).</summary>
    public static LslOptions Options(int queryPort, int basePort, int portRange) => new()
    {
        MulticastPort = queryPort,
        BasePort = basePort,
        PortRange = portRange,
        ResolveTimeoutSeconds = 2,
        ResolveWaveMilliseconds = 100,
        ConnectTimeoutSeconds = 5,
        TimeProbeIntervalMilliseconds = 5,
        TimeProbeMaxRttMilliseconds = 3000,
    };

    /// <summary>Changes settings in place and returns them.</summary>
    public static LslOptions With(LslOptions options, Action<LslOptions> change)
    {
        change(options);
        return options;
    }

    /// <summary>Settings that sweep one outlet's service port.</summary>
    public static LslOptions OptionsFor(FakeOutlet outlet) => Options(outlet.ServicePort, outlet.ServicePort, 1);

    public static LslInletSettings InletSettings(bool bigEndian = false, int buffer = 360) => new(buffer, TimeSpan.FromSeconds(5), bigEndian);

    /// <summary>
    /// A range of <paramref name="count"/> ports free for UDP and TCP on 127.0.0.1, below the
    /// ephemeral range and random per call, so concurrent tests do not meet.
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

    /// <summary>A free UDP port to share as a query port.</summary>
    public static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Reads chunks until the outlet closes the connection.</summary>
    public static async Task<List<LslChunk>> ReadToEndAsync(LslInlet inlet)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var chunks = new List<LslChunk>();
        while (await inlet.ReadChunkAsync(1000, timeout.Token) is { } chunk)
        {
            chunks.Add(chunk);
        }

        return chunks;
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
