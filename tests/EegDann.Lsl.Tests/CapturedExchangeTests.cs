using System.Globalization;
using System.Net;
using System.Text;
using EegDann.FakeLslOutlet;

namespace EegDann.Lsl.Tests;

/// <summary>
/// Every exchange recorded from a real liblsl 1.17.5 outlet, replayed byte for byte by a fake
/// outlet over UDP and TCP: what the inlet sends must be what liblsl's server reads, and what it
/// decodes must be the values and time stamps the outlet pushed.
/// </summary>
public sealed class CapturedExchangeTests
{
    public static TheoryData<string, bool> DataScenarios() => new()
    {
        { "float32_8ch_250Hz_push_sample", false },
        { "float32_4ch_500Hz_push_chunk", false },
        { "float32_4ch_100Hz_bigendian_client", true },
        { "double64_3ch_100Hz_push_sample", false },
        { "int16_2ch_1000Hz_push_chunk", false },
        { "int32_2ch_100Hz_push_sample", false },
    };

    [Fact]
    public void TheResolveQueryIsTheCapturedDatagramByteForByte()
    {
        foreach (var scenario in LslTestSupport.Captures.Scenarios)
        {
            var selector = LslStreamSelector.ByName(scenario.StreamName);
            var lines = scenario.UdpQuery.Split("\r\n");
            var ids = lines[2].Split(' ');
            string built = LslResolver.BuildQuery(selector.ToQuery("default"), int.Parse(ids[0], CultureInfo.InvariantCulture), ids[1]);
            Assert.Equal(scenario.UdpQuery, built);
        }
    }

    [Fact]
    public void EveryCapturedDiscoveryReplyParsesWithTheAddressFromItsSource()
    {
        var from = new IPEndPoint(IPAddress.Loopback, 16571);
        foreach (var scenario in LslTestSupport.Captures.Scenarios)
        {
            var info = LslResolver.ParseReply(Encoding.UTF8.GetBytes(scenario.UdpReply), "1234567", from);
            Assert.NotNull(info);
            Assert.Equal(scenario.StreamName, info.Name);
            Assert.Equal("EEG", info.Type);
            Assert.Equal(scenario.StreamName + "_src", info.SourceId);
            Assert.Equal(110, info.Version);
            Assert.Equal("default", info.SessionId);
            Assert.Equal(IPAddress.Loopback, info.Address);
            Assert.InRange(info.DataPort, 16572, 16603);
            Assert.InRange(info.ServicePort, 16572, 16603);
            Assert.Null(LslResolver.ParseReply(Encoding.UTF8.GetBytes(scenario.UdpReply), "7654321", from));
        }

        var f32 = LslResolver.ParseReply(Encoding.UTF8.GetBytes(LslTestSupport.Captures.Get("CapF32").UdpReply), "1234567", from)!;
        Assert.Equal((8, LslChannelFormat.Float32, 250.0, "54e4a74c-446e-47aa-982b-dc0201242079"), (f32.ChannelCount, f32.ChannelFormat, f32.NominalSrate, f32.Uid));
    }

    [Fact]
    public void TheCapturedFullInfoGivesChannelLabelsAndUnits()
    {
        var info = LslStreamInfo.Parse(LslTestSupport.Captures.Get("CapF32").FullInfoReply, "capture");
        Assert.Equal(["Ch1", "Ch2", "Ch3", "Ch4", "Ch5", "Ch6", "Ch7", "Ch8"], info.ChannelLabels);
        Assert.All(info.ChannelUnits, u => Assert.Equal("microvolts", u));
    }

    [Fact]
    public async Task AFullInfoLongerThanAReadIsReadWholeAndOneThatNeverEndsIsRefusedAtItsBound()
    {
        // The captured answer with a 300 kB comment inside, sent in pieces: read to the end and parsed.
        string captured = LslTestSupport.Captures.Get("CapF32").FullInfoReply;
        int at = captured.IndexOf("<info>", StringComparison.Ordinal) + "<info>".Length;
        byte[] padded = Encoding.UTF8.GetBytes(captured[..at] + "<!--" + new string('x', 300_000) + "-->" + captured[at..]);
        var info = await ReadFullInfoFromAsync(async stream =>
        {
            for (int i = 0; i < padded.Length; i += 7000)
            {
                await stream.WriteAsync(padded.AsMemory(i, Math.Min(7000, padded.Length - i)));
            }
        });
        Assert.Equal(["Ch1", "Ch2", "Ch3", "Ch4", "Ch5", "Ch6", "Ch7", "Ch8"], info.ChannelLabels);

        // A peer that keeps sending: refused once the answer passes the bound, long before the timeout.
        var endless = new byte[1 << 20];
        endless.AsSpan().Fill((byte)' ');
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<LslProtocolException>(() => ReadFullInfoFromAsync(async stream =>
        {
            while (true)
            {
                await stream.WriteAsync(endless);
            }
        }));
        Assert.Contains($"longer than {LslInlet.MaxFullInfoBytes >> 20} MB", e.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), "the bound, not the timeout, ended the read");
    }

    private static async Task<LslStreamInfo> ReadFullInfoFromAsync(Func<System.Net.Sockets.NetworkStream, Task> answer)
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var peer = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var request = new byte["LSL:fullinfo\r\n".Length];
            await stream.ReadExactlyAsync(request);
            Assert.Equal("LSL:fullinfo\r\n", Encoding.ASCII.GetString(request));
            try
            {
                await answer(stream);
            }
            catch (IOException)
            {
                // The inlet hung up on an endless answer.
            }
        });
        try
        {
            return await LslInlet.ReadFullInfoAsync((IPEndPoint)listener.LocalEndpoint, TimeSpan.FromSeconds(120));
        }
        finally
        {
            listener.Stop();
            await peer;
        }
    }

    [Theory]
    [MemberData(nameof(DataScenarios))]
    [InlineData("string_2ch_irregular_push_sample", false)]
    public void TheFeedRequestCarriesWhatLiblslsServerReadsAsInTheCapture(string name, bool bigEndian)
    {
        var scenario = LslTestSupport.Captures.Get(name);
        var info = LslStreamInfo.Parse(scenario.ShortInfoXml, "capture");
        string ours = Encoding.ASCII.GetString(LslFeedHandshake.BuildRequest(new LslFeedRequest(info.Uid, info.ChannelFormat, 360, bigEndian)));
        var mine = Headers(ours);
        var captured = Headers(scenario.FeedRequest);
        Assert.Equal(scenario.FeedRequest.Split("\r\n")[0], ours.Split("\r\n")[0]);
        foreach (var header in new[] { "native-byte-order", "endian-performance", "has-ieee754-floats", "value-size", "data-protocol-version", "max-buffer-length", "max-chunk-length", "session-id" })
        {
            Assert.Equal(captured[header], mine[header]);
        }

        if (info.ChannelFormat is LslChannelFormat.Float32 or LslChannelFormat.Double64)
        {
            Assert.Equal(captured["supports-subnormals"], mine["supports-subnormals"]);
        }

        Assert.EndsWith("\r\n\r\n", ours, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(DataScenarios))]
    public async Task ACapturedNumericStreamIsResolvedAndDecodedToTheValuesAndTimeStampsTheOutletPushed(string name, bool bigEndian)
    {
        var scenario = LslTestSupport.Captures.Get(name);
        await using var outlet = FakeOutlet.FromCapture(scenario, closeAfter: true);
        var resolver = new LslResolver(LslTestSupport.OptionsFor(outlet));
        var found = await resolver.ResolveAsync(LslStreamSelector.ByName(scenario.StreamName), TimeSpan.FromSeconds(5), minimum: 1);
        var info = Assert.Single(found);
        Assert.Equal(outlet.DataPort, info.DataPort);
        Assert.Equal(IPAddress.Loopback, info.Address);

        await using var inlet = await LslInlet.ConnectAsync(info, LslTestSupport.InletSettings(bigEndian));
        Assert.Equal(bigEndian, inlet.Negotiated.BigEndian);
        var chunks = await LslTestSupport.ReadToEndAsync(inlet);
        var values = chunks.SelectMany(c => c.Values).ToArray();
        var stamps = chunks.SelectMany(c => c.Timestamps).ToArray();
        Assert.Equal(20, stamps.Length);
        int channels = info.ChannelCount;
        double fraction = info.ChannelFormat switch
        {
            LslChannelFormat.Float32 => 0.5,
            LslChannelFormat.Double64 => 0.25,
            _ => 0,
        };
        for (int k = 0; k < 20; k++)
        {
            for (int c = 0; c < channels; c++)
            {
                Assert.Equal((k * 100) + c + fraction, values[(k * channels) + c]);
            }
        }

        bool chunked = scenario.Name.Contains("push_chunk", StringComparison.Ordinal);
        for (int k = 0; k < 20; k++)
        {
            double expected = 1000 + (k / info.NominalSrate);
            if (chunked)
            {
                // First stamp transmitted (1000.0), the rest deduced by adding 1/srate each time.
                Assert.Equal(expected, stamps[k], 1e-9);
            }
            else
            {
                Assert.Equal(expected, stamps[k]);
            }
        }

        Assert.All(chunks.SelectMany(c => c.TimestampKnown), Assert.True);
    }

    [Fact]
    public async Task TheCapturedStringStreamDecodesShortAndFourByteLengthStrings()
    {
        var scenario = LslTestSupport.Captures.Get("CapStr");
        await using var outlet = FakeOutlet.FromCapture(scenario, closeAfter: true);
        var info = Assert.Single(await new LslResolver(LslTestSupport.OptionsFor(outlet)).ResolveAsync(LslStreamSelector.Parse("type=EEG;name=CapStr"), TimeSpan.FromSeconds(5), 1));
        Assert.Equal(0, info.NominalSrate);
        await using var inlet = await LslInlet.ConnectAsync(info, LslTestSupport.InletSettings());
        var chunks = await LslTestSupport.ReadToEndAsync(inlet);
        var strings = chunks.SelectMany(c => c.Strings!).ToArray();
        var x300 = new string('x', 300);
        Assert.Equal(["mark0-0", "mark0-1", "mark1-0", "mark1-1", x300, x300], strings);
        Assert.Equal([1000.0, 1001.0, 1002.0], chunks.SelectMany(c => c.Timestamps));
    }

    [Fact]
    public async Task ProtocolOneHundredAfterTheValueSizeDowngradeIsRefusedNamingTheCause()
    {
        var scenario = LslTestSupport.Captures.Get("CapDown");
        await using var outlet = FakeOutlet.FromCapture(scenario, closeAfter: true);
        var info = outlet.Info;
        var e = await Assert.ThrowsAsync<LslProtocolException>(() => LslInlet.ConnectAsync(info, LslTestSupport.InletSettings()));
        Assert.Contains("protocol 1.00", e.Message, StringComparison.Ordinal);
        Assert.Contains("Value-Size", e.Message, StringComparison.Ordinal);
        Assert.Contains("UseProtocolVersion", e.Message, StringComparison.Ordinal);

        // What provoked it in the capture: Value-Size 8 for float32. This inlet sends 4.
        Assert.Contains("Value-Size: 8\r\n", scenario.FeedRequest, StringComparison.Ordinal);
        Assert.Contains("Value-Size: 4\r\n", Encoding.ASCII.GetString(LslFeedHandshake.BuildRequest(new LslFeedRequest(info.Uid, info.ChannelFormat, 10))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCapturedNotFoundAnswerWithoutCrlfMeansTheStreamIsLost()
    {
        await using var outlet = FakeOutlet.FromCapture(LslTestSupport.Captures.Get("Cap404"), closeAfter: true);
        var info = outlet.Info with { Uid = "00000000-0000-0000-0000-000000000000" };
        var e = await Assert.ThrowsAsync<LslStreamLostException>(() => LslInlet.ConnectAsync(info, LslTestSupport.InletSettings()));
        Assert.Contains("404 Not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCapturedVersionNotSupportedAnswerIsRefused()
    {
        string status = Encoding.ASCII.GetString(LslTestSupport.Captures.Get("Cap505").FeedResponse);
        Assert.Equal("LSL/110 505 Version not supported", status);
        var e = Assert.Throws<LslProtocolException>(() => LslFeedHandshake.CheckStatus(status, "Cap505"));
        Assert.Contains("505 Version not supported", e.Message, StringComparison.Ordinal);
        Assert.IsNotType<LslStreamLostException>(e);
    }

    [Fact]
    public async Task AZeroBufferLengthGetsOnlyTheTestPatternsSoTheInletNeverSendsIt()
    {
        var scenario = LslTestSupport.Captures.Get("CapZero");
        Assert.Contains("Max-Buffer-Length: 0\r\n", scenario.FeedRequest, StringComparison.Ordinal);
        await using var outlet = FakeOutlet.FromCapture(scenario, closeAfter: true);
        await using var inlet = await LslInlet.ConnectAsync(outlet.Info, LslTestSupport.InletSettings());
        Assert.Empty(await LslTestSupport.ReadToEndAsync(inlet));

        var options = new LslOptions { BufferSeconds = 0.01 };
        Assert.Equal(1, options.BufferSamples(10));
        Assert.Equal(1, options.BufferSamples(0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => LslFeedHandshake.BuildRequest(new LslFeedRequest("u", LslChannelFormat.Float32, 0)));
    }

    [Fact]
    public void TheTimeProbeTranscriptGivesTheOffsetOfItsSmallestRoundTrip()
    {
        var probes = new List<LslTimeProbe>();
        foreach (var captured in LslTestSupport.Captures.TimeProbes)
        {
            var request = captured.Request.Split("\r\n");
            Assert.Equal("LSL:timedata", request[0]);
            var sent = request[1].Split(' ');
            double t0 = double.Parse(sent[1], CultureInfo.InvariantCulture);
            Assert.Equal(captured.Request, Encoding.ASCII.GetString(LslTimeCorrection.Probe(long.Parse(sent[0], CultureInfo.InvariantCulture), t0)));
            Assert.True(LslTimeCorrection.TryParseReply(captured.Reply, out long wave, out double echoed, out double t1, out double t2));
            Assert.Equal(424242, wave);
            Assert.Equal(t0, echoed);
            probes.Add(new LslTimeProbe(t0, t1, t2, captured.T3));
        }

        // Probe 0: t0 2471.575249264, t1 …283696, t2 …321989, t3 …358103:
        // RTT = 108.839 µs − 38.293 µs = 70.546 µs (the smallest of the 8);
        // offset = (34.432 µs − 36.114 µs) / 2 = −0.841 µs, so the correction is +0.841 µs.
        var best = LslTimeCorrection.Best(probes, 6)!.Value;
        Assert.Equal(70.546e-6, best.RoundTrip, 1e-9);
        Assert.Equal(-0.841e-6, best.Offset, 1e-9);
        Assert.Null(LslTimeCorrection.Best(probes.Take(5).ToList(), 6));
    }

    private static Dictionary<string, string> Headers(string request) =>
        request.Split("\r\n").Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(':', StringComparison.Ordinal)].Trim().ToLowerInvariant(), l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
}
