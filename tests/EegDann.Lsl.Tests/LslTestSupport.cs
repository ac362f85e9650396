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
}
