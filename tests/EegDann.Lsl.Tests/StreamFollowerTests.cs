using EegDann.FakeLslOutlet;

namespace EegDann.Lsl.Tests;

/// <summary>
/// <see cref="LslStreamFollower"/> on silence: a connection whose outlet still answers is kept (liblsl's
/// watchdog), so nothing the outlet sends later is lost; one whose outlet no longer answers is resolved again.
/// </summary>
public sealed class StreamFollowerTests
{
    [Fact]
    public async Task AMarkerStreamSilentBetweenCuesKeepsItsConnectionAndLosesNoMarker()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Cues", Type = "Markers", Format = LslChannelFormat.String, NominalSrate = 0, SourceId = "cues" });
        await using var follow = Follow(outlet, staleAfterMilliseconds: 100);
        await follow.Eventually(() => outlet.Consumers == 1, "connected");

        // Cues 600 ms apart: six stale periods of silence between each two.
        foreach (string cue in new[] { "T1", "T2", "T3" })
        {
            outlet.PushStrings([cue], null);
            await Task.Delay(600);
        }

        await follow.Eventually(() => follow.Samples.Count == 3, "the three cues");
        Assert.Equal(["T1", "T2", "T3"], follow.Samples.Select(s => s.Strings![0]));
        Assert.Empty(follow.Events.OfType<LslDisconnected>());
        Assert.Equal(0, follow.Follower.Reconnections);
        Assert.Equal(1, outlet.FeedConnections);
        Assert.True(follow.Follower.KeptSilences >= 4, $"{follow.Follower.KeptSilences} silences checked");
    }

    [Fact]
    public async Task AStalledOutletKeepsItsConnectionAndWhatItQueuedArrivesWithNoIndexSkipped()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Amp", NominalSrate = 100, SourceId = "amp" });
        await using var follow = Follow(outlet, staleAfterMilliseconds: 100);
        await follow.Eventually(() => outlet.Consumers == 1, "connected");
        for (int k = 0; k < 10; k++)
        {
            outlet.Push([k], 100 + (k / 100.0));
        }

        await follow.Eventually(() => follow.Samples.Sum(s => s.Count) == 10, "the first 10 samples");

        // The amplifier's host stalls for half a second (five stale periods), queueing what it acquires.
        outlet.Stall();
        for (int k = 10; k < 30; k++)
        {
            outlet.Push([k], 100 + (k / 100.0));
        }

        await Task.Delay(500);
        outlet.Resume();
        await follow.Eventually(() => follow.Samples.Sum(s => s.Count) == 30, "all 30 samples");
        Assert.Equal(Enumerable.Range(0, 30).Select(k => (float)k), follow.Samples.SelectMany(s => s.Values));
        Assert.Equal(Enumerable.Range(0, 30).Select(k => (long)k), follow.Samples.SelectMany(s => Enumerable.Range(0, s.Count).Select(i => s.FirstIndex + i)));
        Assert.Empty(follow.Events.OfType<LslDisconnected>());
        Assert.Equal(0, follow.Follower.DroppedSamples);
        Assert.Equal(1, outlet.FeedConnections);
        Assert.Contains(follow.Lines, l => l.Contains("still answers; the connection is kept", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AHungOutletThatNoLongerAnswersIsDroppedAndFollowedAgainWhenItAnswers()
    {
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Amp", NominalSrate = 100, SourceId = "amp" });
        await using var follow = Follow(outlet, staleAfterMilliseconds: 100, connectTimeoutSeconds: 0.3);
        await follow.Eventually(() => outlet.Consumers == 1, "connected");
        outlet.Push([1], 100);
        await follow.Eventually(() => follow.Samples.Count == 1, "the first sample");

        outlet.Hang();
        await follow.Eventually(() => follow.Events.OfType<LslDisconnected>().Any(), "the connection dropped");
        Assert.Contains("no longer answers", follow.Events.OfType<LslDisconnected>().First().Reason, StringComparison.Ordinal);

        outlet.Resume();
        await follow.Eventually(() => follow.Events.OfType<LslConnected>().Count() == 2, "connected again");
        // The old connection is still open on the hung host's side until it next writes to it.
        outlet.Push([2], 101);
        await follow.Eventually(() => follow.Samples.Count == 2, "the sample after the reconnection");
        Assert.Equal(1, follow.Follower.Reconnections);
    }

    [Fact]
    public async Task AConnectionThatBreaksInsideASampleIsALossAndTheStreamIsFollowedAgain()
    {
        // A reset, a keep-alive timeout or a sample cut short ends the connection with an error rather than a close:
        // the follower reconnects as it does after a close, instead of ending (lsl record would stop recording).
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Amp", NominalSrate = 100, SourceId = "amp" });
        await using var follow = Follow(outlet, staleAfterMilliseconds: 1000);
        await follow.Eventually(() => outlet.Consumers == 1, "connected");
        outlet.Push([1], 100);
        await follow.Eventually(() => follow.Samples.Count == 1, "the first sample");

        outlet.TruncateNextSample();
        outlet.Push([2], 100.01);
        await follow.Eventually(() => follow.Events.OfType<LslDisconnected>().Any(), "the loss reported");
        Assert.Contains("inside a sample", follow.Events.OfType<LslDisconnected>().First().Reason, StringComparison.Ordinal);
        await follow.Eventually(() => follow.Events.OfType<LslConnected>().Count() == 2 && outlet.Consumers == 1, "connected again");
        outlet.Push([3], 100.02);
        await follow.Eventually(() => follow.Samples.Any(s => s.Values.Contains(3f)), "a sample after the reconnection");
        Assert.Equal(1, follow.Follower.Reconnections);
    }

    [Fact]
    public async Task AnInletsDataConnectionProbesItsPeerSoThatAVanishedOneEndsInSecondsNotHours()
    {
        // A silent connection is kept while its outlet answers; one whose peer vanished without closing it must end by itself.
        await using var outlet = FakeOutlet.Start(new FakeOutletSettings { Name = "Amp", NominalSrate = 100 });
        await using var inlet = await LslInlet.ConnectAsync(outlet.Info, LslTestSupport.InletSettings());
        var socket = inlet.Socket;
        Assert.Equal(1, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.KeepAlive)!);
        Assert.Equal(LslInlet.KeepAliveIdleSeconds, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal(1, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Equal(3, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveRetryCount)!);
    }

    private static Following Follow(FakeOutlet outlet, double staleAfterMilliseconds, double connectTimeoutSeconds = 5)
    {
        var options = LslTestSupport.With(LslTestSupport.OptionsFor(outlet), o =>
        {
            o.StaleAfterMilliseconds = staleAfterMilliseconds;
            o.ConnectTimeoutSeconds = connectTimeoutSeconds;
            o.ResolveTimeoutSeconds = 0.5;
        });
        return new Following(options, LslStreamSelector.ByName(outlet.Settings.Name));
    }

    /// <summary>A follower read in the background, what it reported kept.</summary>
    private sealed class Following : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));
        private readonly List<LslFollowerEvent> _events = [];
        private readonly List<string> _lines = [];
        private readonly Task _reading;

        public Following(LslOptions options, LslStreamSelector selector)
        {
            Follower = new LslStreamFollower(options, selector, line =>
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }
            });
            _reading = Task.Run(async () =>
            {
                try
                {
                    await foreach (var e in Follower.ReadAsync(_stop.Token))
                    {
                        lock (_events)
                        {
                            _events.Add(e);
                        }
                    }
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    // Stopped.
                }
            });
        }

        public LslStreamFollower Follower { get; }

        public IReadOnlyList<LslFollowerEvent> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public IReadOnlyList<LslSamples> Samples => [.. Events.OfType<LslSamples>()];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public async Task Eventually(Func<bool> condition, string what)
        {
            for (int i = 0; i < 1000 && !condition(); i++)
            {
                Assert.False(_reading.IsCompleted, $"the follower stopped before: {what}");
                await Task.Delay(10);
            }

            Assert.True(condition(), $"not within 10 s: {what}; events: {string.Join(", ", Events.Select(e => e.GetType().Name))}; log: {string.Join(" | ", Lines)}");
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reading;
            _stop.Dispose();
        }
    }
}
