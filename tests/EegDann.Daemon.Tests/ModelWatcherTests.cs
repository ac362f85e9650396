using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Processing;
using EegDann.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Tests;

public sealed class ModelWatcherTests
{
    private const int Window = 320;
    private const int Stride = 10;

    [Fact]
    public async Task ABadFileAtTheModelPathIsRejectedAndTheNextGoodOneIsSwappedInBetweenTwoWindows()
    {
        var recording = TestModels.Read("S002", "R04");
        using var dir = TestData.NewTemporaryDirectory();
        string path = TestModels.CopyTo(TestModels.S001ToS002, Path.Combine(dir.Path, "model.eegdann"));
        string oldId, newId;
        using (var old = DecoderModelLoader.Load(TestModels.S001ToS002))
        using (var next = DecoderModelLoader.Load(TestModels.S003ToS002))
        {
            (oldId, newId) = (old.Id, next.Id);
        }

        var observer = new CollectingObserver();
        using var firstGate = new SemaphoreSlim(0);
        using var secondGate = new SemaphoreSlim(0);
        var settings = DaemonRunner.Replay("unused", path);
        settings["Daemon:Decoder:WatchModel"] = "true";
        settings["Daemon:Decoder:WatchPollSeconds"] = "0.2";
        settings["Daemon:Buffers:AcquisitionChunks"] = "100000";
        settings["Daemon:Buffers:Windows"] = "100000";
        settings["Daemon:Buffers:Decisions"] = "100000";
        long last = recording.SampleCount - ((recording.SampleCount - Window) % Stride);
        string? currentAfterBadFile = null;
        using var run = await DaemonRunner.RunAsync(
            settings,
            services =>
            {
                services.AddSingleton<ISampleSourceFactory>(new TwoPauseSource(recording, 4000, firstGate, 8000, secondGate));
                services.AddSingleton<IDecodeObserver>(observer);
            },
            async host =>
            {
                var metrics = host.Services.GetRequiredService<DaemonMetrics>();
                var models = host.Services.GetRequiredService<ActiveModel>();
                await Eventually.WaitAsync(() => observer.Seen.Any(o => o.EndSample == 4000), "the stream reached its first pause");

                // A truncated model file replaces the good one (written beside it, then renamed, as a deploy would).
                var bytes = await File.ReadAllBytesAsync(TestModels.S003ToS002);
                await ReplaceAsync(path, bytes.AsMemory(0, bytes.Length / 2));
                await Eventually.WaitAsync(() => metrics.ModelRejections == 1, "the bad file rejected");
                currentAfterBadFile = models.Current.Id;
                firstGate.Release();
                await Eventually.WaitAsync(() => observer.Seen.Any(o => o.EndSample == 8000), "the stream reached its second pause");

                await ReplaceAsync(path, bytes);
                await Eventually.WaitAsync(() => metrics.ModelSwaps == 1, "the good file swapped in");
                secondGate.Release();
                await Eventually.WaitAsync(() => observer.Seen.Any(o => o.EndSample == last), "the last window decided");
                host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            });

        run.AssertExit(DaemonExitCode.Success);
        Assert.Equal(oldId, currentAfterBadFile);
        Assert.Equal(newId, run.Get<ActiveModel>().Current.Id);
        Assert.Equal(1, run.Get<DaemonMetrics>().ModelRejections);
        Assert.Contains(run.Logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains($"New model file {path} rejected", StringComparison.Ordinal));

        // Every window decided once; the old model through the bad file and up to the swap, the new one after.
        var seen = observer.Seen;
        Assert.Equal(Enumerable.Range(0, (int)(((recording.SampleCount - Window) / Stride) + 1)).Select(k => Window + (Stride * (long)k)), seen.Select(o => o.EndSample));
        Assert.All(seen.Where(o => o.EndSample <= 8000), o => Assert.Equal(oldId, o.Decision.ModelId));
        Assert.All(seen.Where(o => o.EndSample > 8000), o => Assert.Equal(newId, o.Decision.ModelId));
        Assert.All(seen, o => Assert.Equal(FailSafeReason.None, o.Decision.Reason));
    }

    private static async Task ReplaceAsync(string path, ReadOnlyMemory<byte> content)
    {
        string temp = path + ".incoming";
        await File.WriteAllBytesAsync(temp, content.ToArray());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Plays a recording in chunks of 16 as fast as the daemon takes them, waiting at two samples until released.</summary>
    private sealed class TwoPauseSource(Recording recording, long first, SemaphoreSlim firstGate, long second, SemaphoreSlim secondGate) : ISampleSource, ISampleSourceFactory
    {
        public string Name => "two-pause";

        public SourcePacing Pacing => SourcePacing.Unpaced;

        public Task<ISampleSource> CreateAsync(CancellationToken cancellationToken) => Task.FromResult<ISampleSource>(this);

        public async IAsyncEnumerable<SourceEvent> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new StreamStarted(new StreamDescription(recording.Info, "two-pause", "S002"));
            for (long start = 0; start < recording.SampleCount; start += 16)
            {
                if (start == first)
                {
                    await firstGate.WaitAsync(cancellationToken);
                }
                else if (start == second)
                {
                    await secondGate.WaitAsync(cancellationToken);
                }

                int n = (int)Math.Min(16, recording.SampleCount - start);
                yield return new ChunkArrived(SampleChunk.FromChannelMajor(recording.Samples, start, n), System.Diagnostics.Stopwatch.GetTimestamp());
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}
