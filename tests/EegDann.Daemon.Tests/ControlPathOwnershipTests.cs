using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace EegDann.Daemon.Tests;

/// <summary>
/// A live chunk runs through the control path on the acquisition thread when the path is idle, and is queued for
/// the control thread when it is not: either way every window is decided once, in order, exactly as on the
/// control thread alone.
/// </summary>
public sealed class ControlPathOwnershipTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ALiveSourceRacingTheControlThreadDecidesEveryWindowInOrderAsTheControlThreadAloneDoes()
    {
        // Unpaced: every event is handed to the control thread. Live, in bursts of four chunks 1 ms apart: a chunk
        // that finds the path idle runs on the acquisition thread (and takes the stream's start from the queue if the
        // control thread has not woken for it yet); one that arrives while the control thread is at work is queued and
        // taken by whichever thread owns the path next (a few at the start, 4 of 2460 in one run).
        var recording = TestModels.Read("S002", "R04");
        var (alone, aloneInline) = await DecideAsync(ScriptedSource.FromRecording(recording, 8), SourcePacing.Unpaced, expected: null);
        var (raced, racedInline) = await DecideAsync(ScriptedSource.FromRecording(recording, 8), SourcePacing.Live, expected: alone.Count);
        output.WriteLine($"{alone.Count} windows; {racedInline} of {recording.SampleCount / 8} chunks on the acquisition thread");

        Assert.Equal(0, aloneInline);
        Assert.True(racedInline > 0, "no chunk ran on the acquisition thread");
        Assert.True(alone.Count > 1500, $"{alone.Count} windows");
        Assert.Equal(alone.Select(o => (o.Kind, o.EndSample)), raced.Select(o => (o.Kind, o.EndSample)));
        Assert.True(raced.Zip(raced.Skip(1)).All(p => p.First.EndSample < p.Second.EndSample), "windows out of order");
        for (int i = 0; i < alone.Count; i++)
        {
            Assert.Equal(alone[i].Probabilities, raced[i].Probabilities);
            Assert.Equal(alone[i].Decision.Command, raced[i].Decision.Command);
        }
    }

    private static async Task<(IReadOnlyList<Observed> Seen, long Inline)> DecideAsync(List<SourceEvent> events, SourcePacing pacing, int? expected)
    {
        var observer = new CollectingObserver();
        var settings = DaemonRunner.Replay("unused", TestModels.S001ToS002);
        settings["Daemon:Replay:StopAtEnd"] = "false";
        settings["Daemon:FailSafe:StaleAfterMilliseconds"] = "600000";
        settings["Daemon:Buffers:AcquisitionChunks"] = "100000";
        settings["Daemon:Buffers:Windows"] = "100000";
        settings["Daemon:Buffers:Decisions"] = "100000";
        long inline = 0;
        int chunks = events.Count(e => e is ChunkArrived);
        using var run = await DaemonRunner.RunAsync(
            settings,
            services =>
            {
                services.AddSingleton<ISampleSourceFactory>(pacing == SourcePacing.Live ? new BurstSource(events) : new ScriptedSource(events, pacing));
                services.AddSingleton<IDecodeObserver>(observer);
            },
            async host =>
            {
                var metrics = host.Services.GetRequiredService<DaemonMetrics>();
                await Eventually.WaitAsync(() => metrics.Chunks == chunks, "every chunk received");
                if (expected is int count)
                {
                    await Eventually.WaitAsync(() => observer.Seen.Count >= count, $"{count} windows decided");
                }
                else
                {
                    // The control thread alone: wait until the count stops moving.
                    int last = -1;
                    while (observer.Seen.Count != last)
                    {
                        last = observer.Seen.Count;
                        await Task.Delay(500);
                    }
                }

                inline = metrics.InlineChunks;
                host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            });

        run.AssertExit(DaemonExitCode.Success);
        Assert.Equal(0, run.Get<DaemonMetrics>().Dropped(DaemonBuffer.Acquisition));
        return (observer.Seen, inline);
    }

    /// <summary>A live source whose chunks come in bursts of four, 1 ms apart.</summary>
    private sealed class BurstSource(IReadOnlyList<SourceEvent> events) : ISampleSource, ISampleSourceFactory
    {
        public string Name => $"bursts ({events.Count} events)";

        public SourcePacing Pacing => SourcePacing.Live;

        public Task<ISampleSource> CreateAsync(CancellationToken cancellationToken) => Task.FromResult<ISampleSource>(this);

        public async IAsyncEnumerable<SourceEvent> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            int chunks = 0;
            foreach (var e in events)
            {
                yield return e is ChunkArrived c ? c with { ArrivalTimestamp = System.Diagnostics.Stopwatch.GetTimestamp() } : e;
                if (e is ChunkArrived && ++chunks % 4 == 0)
                {
                    await Task.Delay(1, cancellationToken);
                }
            }
        }
    }
}
