using System.Net;
using EegDann.FakeLslOutlet;
using EegDann.TestSupport;

namespace EegDann.Lsl.Tests;

/// <summary>What captures cannot show, against a fake outlet written from PROTOCOL.md.</summary>
public sealed class FakeOutletTests
{
    public static TheoryData<LslChannelFormat, bool> NumericFormatsAndByteOrders()
    {
        var data = new TheoryData<LslChannelFormat, bool>();
        foreach (var format in new[] { LslChannelFormat.Float32, LslChannelFormat.Double64, LslChannelFormat.Int8, LslChannelFormat.Int16, LslChannelFormat.Int32, LslChannelFormat.Int64 })
        {
            data.Add(format, false);
            data.Add(format, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NumericFormatsAndByteOrders))]
    public async Task EveryNumericFormatDecodesExactlyInBothByteOrdersWithTransmittedAndDeducedStamps(LslChannelFormat format, bool bigEndian)
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Fmt", ChannelCount = 5, Format = format, NominalSrate = 100 });
        await using var inlet = await LslInlet.ConnectAsync(outlet.Info, LslTestSupport.InletSettings(bigEndian));
        // One-byte values have no byte order: liblsl's server swaps only wider ones.
        Assert.Equal(bigEndian && format != LslChannelFormat.Int8, inlet.Negotiated.BigEndian);
        double big = format switch
        {
            LslChannelFormat.Int8 => 127,
            LslChannelFormat.Int16 => 32767,
            LslChannelFormat.Int32 => int.MaxValue,
            LslChannelFormat.Int64 => 1L << 53,
            LslChannelFormat.Float32 => (double)3.4e38f,
            _ => 1.7e308,
        };
        var pushed = new List<double[]>();
        for (int k = 0; k < 6; k++)
        {
            var values = new[] { k, -k - 1, big, -big, format == LslChannelFormat.Float32 ? (double)(float)(k * 0.1) : (format == LslChannelFormat.Double64 ? k * 0.1 : k * 3) };
            pushed.Add(values);
            outlet.Push(values, k % 3 == 0 ? 50 + (k / 100.0) : null);
        }

        var received = await ReadAsync(inlet, 6);
        for (int k = 0; k < 6; k++)
        {
            Assert.Equal(pushed[k], received.Values.Skip(k * 5).Take(5));
            Assert.Equal(50 + (k / 100.0), received.Stamps[k], 1e-9);
        }
    }

    [Fact]
    public async Task DeducedStampsBeforeTheFirstTransmittedOneAreFlaggedUnknown()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Late", ChannelCount = 1, NominalSrate = 10 });
        await using var inlet = await LslInlet.ConnectAsync(outlet.Info, LslTestSupport.InletSettings());
        outlet.Push([1], null);
        outlet.Push([2], 500.0);
        outlet.Push([3], null);
        var received = await ReadAsync(inlet, 3);
        Assert.Equal([0.1, 500.0, 500.1], received.Stamps);
        Assert.Equal([false, true, true], received.Known);
    }

    [Fact]
    public async Task ARestartedOutletWithANewUidAndPortIsFoundAgainBySourceId()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Amp", SourceId = "amp-1234", ChannelCount = 2, NominalSrate = 100 });
        var options = LslTestSupport.Options(LoopbackPorts.FreeUdpPort(), outlet.ServicePort, 1);
        var first = outlet.Info;
        await using (var inlet = await LslInlet.ConnectAsync(first, LslTestSupport.InletSettings()))
        {
            // The outlet registers a consumer after the handshake the inlet has already returned from; a sample pushed
            // before that reaches no one (as with liblsl), so wait for it.
            await Eventually(() => outlet.Consumers == 1);
            outlet.Push([1, 2], 10.0);
            Assert.Single((await ReadAsync(inlet, 1)).Stamps);
            await outlet.RestartAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.Null(await inlet.ReadChunkAsync(10, timeout.Token));
        }

        Assert.NotEqual(first.Uid, outlet.Uid);
        Assert.NotEqual(first.DataPort, outlet.DataPort);
        var lost = await Assert.ThrowsAnyAsync<Exception>(() => LslInlet.ConnectAsync(first, LslTestSupport.InletSettings()));
        Assert.True(lost is LslStreamLostException or System.Net.Sockets.SocketException, lost.ToString());

        var again = Assert.Single(await new LslResolver(LslTestSupport.With(options, o => o.BasePort = outlet.ServicePort)).ResolveAsync(LslStreamSelector.Parse("source_id=amp-1234"), TimeSpan.FromSeconds(5), 1));
        Assert.Equal(outlet.Uid, again.Uid);
        Assert.Equal(outlet.DataPort, again.DataPort);
        await using var renewed = await LslInlet.ConnectAsync(again, LslTestSupport.InletSettings());
        await Eventually(() => outlet.Consumers == 1);
        outlet.Push([3, 4], 11.0);
        Assert.Equal([3.0, 4.0], (await ReadAsync(renewed, 1)).Values);
    }

    [Fact]
    public async Task TheOldUidOfARestartedOutletIsAnsweredNotFound()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Amp", SourceId = "a", NominalSrate = 100 });
        var old = outlet.Info;
        await outlet.RestartAsync();
        var stale = outlet.Info with { Uid = old.Uid };
        var e = await Assert.ThrowsAsync<LslStreamLostException>(() => LslInlet.ConnectAsync(stale, LslTestSupport.InletSettings()));
        Assert.Contains("404", e.Message, StringComparison.Ordinal);
        Assert.Equal("LSL/110 404 Not found", LslTestSupport.Captures.Restart.GetProperty("old_uid_request_response").GetString());
    }

    [Fact]
    public async Task ASilentlyStalledOutletDeliversNothingUntilItResumes()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Stall", NominalSrate = 100 });
        await using var inlet = await LslInlet.ConnectAsync(outlet.Info, LslTestSupport.InletSettings());
        await Eventually(() => outlet.Consumers == 1);
        outlet.Stall();
        outlet.Push([1], 1.0);
        using (var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await inlet.ReadChunkAsync(10, wait.Token));
        }

        outlet.Resume();
        Assert.Equal([1.0], (await ReadAsync(inlet, 1)).Values);
    }

    [Fact]
    public async Task TwoOutletsSharingOneQueryPortAreBothFoundByTheSweepOfTheirPortRange()
    {
        int queryPort = LoopbackPorts.FreeUdpPort();
        int basePort = LoopbackPorts.FreePortRange(4);
        await using var a = FakeOutlet.Start(new FakeOutletSettings { Name = "A", QueryPort = queryPort, BasePort = basePort, PortRange = 4 });
        await using var b = FakeOutlet.Start(new FakeOutletSettings { Name = "B", QueryPort = queryPort, BasePort = basePort, PortRange = 4 });
        Assert.Equal(basePort, a.ServicePort);
        Assert.Equal(basePort + 1, b.ServicePort);

        // The shared port alone: a unicast reaches one socket of the two (the "127.0.0.1 lottery").
        var onlyQueryPort = new LslResolver(LslTestSupport.Options(queryPort, LoopbackPorts.FreeUdpPort(), 1));
        var lottery = await onlyQueryPort.ResolveAsync(null, TimeSpan.FromMilliseconds(600));
        Assert.True(lottery.Count <= 1, $"found {lottery.Count}");

        var sweep = new LslResolver(LslTestSupport.Options(queryPort, basePort, 4));
        // Stops as soon as both answer; the long bound only matters on a starved machine (it failed once at 600 ms under load).
        var found = await sweep.ResolveAsync(null, TimeSpan.FromSeconds(10), minimum: 2);
        Assert.Equal(["A", "B"], found.Select(f => f.Name).Order());
        Assert.Equal(new[] { a.DataPort, b.DataPort }.Order(), found.Select(f => f.DataPort).Order());
    }

    [Fact]
    public async Task KnownPeersAndDirectEndpointsAreQueriedAndNonMatchingStreamsAreLeftOut()
    {
        int basePort = LoopbackPorts.FreePortRange(3);
        await using var eeg = FakeOutlet.Start(new FakeOutletSettings { Name = "E", Type = "EEG", BasePort = basePort, PortRange = 3 });
        await using var markers = FakeOutlet.Start(new FakeOutletSettings { Name = "M", Type = "Markers", Format = LslChannelFormat.String, NominalSrate = 0, BasePort = basePort, PortRange = 3 });
        var options = LslTestSupport.With(LslTestSupport.Options(LoopbackPorts.FreeUdpPort(), basePort, 3), o => o.KnownPeers = ["127.0.0.1"]);
        var resolver = new LslResolver(options);
        Assert.Contains(new IPEndPoint(IPAddress.Loopback, basePort + 2), resolver.Destinations());
        var byType = await resolver.ResolveAsync(LslStreamSelector.Parse("type=Markers"), TimeSpan.FromSeconds(10), minimum: 1);
        Assert.Equal("M", Assert.Single(byType).Name);

        var direct = new LslResolver(LslTestSupport.With(LslTestSupport.Options(LoopbackPorts.FreeUdpPort(), LoopbackPorts.FreeUdpPort(), 1), o => o.Connect = [$"127.0.0.1:{eeg.DataPort}"]));
        var viaFullInfo = Assert.Single(await direct.ResolveAsync(null, TimeSpan.FromSeconds(10), 1));
        Assert.Equal(("E", eeg.DataPort, eeg.Uid), (viaFullInfo.Name, viaFullInfo.DataPort, viaFullInfo.Uid));
    }

    [Fact]
    public async Task AnotherSessionsStreamIsNotResolved()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "S", SessionId = "labB" });
        var options = LslTestSupport.OptionsFor(outlet);
        Assert.Empty(await new LslResolver(options).ResolveAsync(LslStreamSelector.ByName("S"), TimeSpan.FromMilliseconds(400)));
        Assert.Single(await new LslResolver(LslTestSupport.With(options, o => o.SessionId = "labB")).ResolveAsync(LslStreamSelector.ByName("S"), TimeSpan.FromSeconds(3), 1));
    }

    [Fact]
    public async Task ASlowConsumerLosesTheOldestSamplesAndGetsTheNewestWithStampsThatShowTheGap()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Fast", ChannelCount = 64, NominalSrate = 1000 });
        await using var inlet = await LslInlet.ConnectAsync(outlet.Info, LslTestSupport.InletSettings(buffer: 50));
        await Eventually(() => outlet.Consumers == 1);
        const int pushed = 40000;
        for (int k = 0; k < pushed; k++)
        {
            outlet.Push(Enumerable.Repeat((double)k, 64).ToArray(), k / 1000.0);
        }

        // The consumer has read nothing so far; now it drains.
        var stamps = new List<double>();
        var values = new List<double>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (values.Count == 0 || values[^64] < pushed - 1)
        {
            var chunk = (await inlet.ReadChunkAsync(10000, timeout.Token))!;
            stamps.AddRange(chunk.Timestamps);
            values.AddRange(chunk.Values);
        }

        Assert.True(outlet.Dropped > 0);
        Assert.True(stamps.Count < pushed, $"{stamps.Count} of {pushed}");
        Assert.Equal((pushed - 1) / 1000.0, stamps[^1]);
        Assert.Contains(Enumerable.Range(1, stamps.Count - 1), i => stamps[i] - stamps[i - 1] > 0.0015);
    }

    [Fact]
    public async Task ASampleCutOffByTheConnectionClosingIsReportedAsATruncatedSample()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Cut", ChannelCount = 8, NominalSrate = 100 });
        await using var inlet = await LslInlet.ConnectAsync(outlet.Info, LslTestSupport.InletSettings());
        outlet.Push(new double[8], 1.0);
        Assert.Single((await ReadAsync(inlet, 1)).Stamps);
        outlet.TruncateNextSample();
        outlet.Push(new double[8], 1.01);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var e = await Assert.ThrowsAsync<LslStreamLostException>(async () => await inlet.ReadChunkAsync(10, timeout.Token));
        Assert.Contains("inside a sample", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AValueSizeMismatchIsDowngradedByTheFakeAsByLiblslAndRefused()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "D", Format = LslChannelFormat.Float32 });
        var lying = outlet.Info with { ChannelFormat = LslChannelFormat.Double64 };
        var e = await Assert.ThrowsAsync<LslProtocolException>(() => LslInlet.ConnectAsync(lying, LslTestSupport.InletSettings()));
        Assert.Contains("1.00", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TimeCorrectionMeasuresAnOutletClockFiveSecondsAheadOverTheServicePort()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Clock", ClockOffsetSeconds = 5.0 });
        using var time = new LslTimeCorrection(new IPEndPoint(IPAddress.Loopback, outlet.ServicePort), LslTestSupport.OptionsFor(outlet));
        var estimate = await time.MeasureAsync(CancellationToken.None);
        Assert.NotNull(estimate);
        Assert.InRange(estimate.Replies, 6, 8);
        Assert.InRange(estimate.Correction, -5.0 - estimate.RoundTrip, -5.0 + estimate.RoundTrip);
        Assert.Same(estimate, time.Current);
    }

    [Fact]
    public async Task TheQueryPortDoesNotAnswerTimeProbes()
    {
        int queryPort = LoopbackPorts.FreeUdpPort();
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Q", QueryPort = queryPort });
        using var time = new LslTimeCorrection(new IPEndPoint(IPAddress.Loopback, queryPort), LslTestSupport.OptionsFor(outlet));
        Assert.Null(await time.MeasureAsync(CancellationToken.None));
        Assert.Equal(1, time.FailedBursts);
    }

    internal static async Task<(List<double> Values, List<double> Stamps, List<bool> Known)> ReadAsync(LslInlet inlet, int samples)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var values = new List<double>();
        var stamps = new List<double>();
        var known = new List<bool>();
        while (stamps.Count < samples)
        {
            var chunk = await inlet.ReadChunkAsync(samples - stamps.Count, timeout.Token) ?? throw new InvalidOperationException("the outlet closed the connection");
            values.AddRange(chunk.Values);
            stamps.AddRange(chunk.Timestamps);
            known.AddRange(chunk.TimestampKnown);
        }

        return (values, stamps, known);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
