using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Tests;

public sealed class WindowStageTests
{
    private const int Chunk = 10;
    private const int Window = 320;

    [Fact]
    public void ANaNBurstGivesNoneFromTheBadChunkUntilTheFirstWindowWhollyAfterIt()
    {
        // Samples 1000..1029 of C3 are NaN: three chunks are never pushed and the filters restart at 1030.
        var items = Run(recording => Corrupt(recording, "C3", 1000, 1030, float.NaN));
        AssertNoneExactlyWhere(items, e => e > 1000 && e - Window < 1030, FailSafeReason.NonFinite);
        Assert.Equal(1350, items.First(i => i.Kind == WindowItemKind.Window && i.EndSample > 1000).EndSample);
    }

    [Fact]
    public void AnInfiniteSampleFailsSafeLikeNaN()
    {
        var items = Run(recording => Corrupt(recording, "Cz", 4000, 4001, float.PositiveInfinity));
        AssertNoneExactlyWhere(items, e => e > 4000 && e - Window < 4010, FailSafeReason.NonFinite);
    }

    [Fact]
    public void AGapInSampleIndicesGivesNoneUntilTheFirstWindowWhollyAfterItAndNothingForPositionsInsideIt()
    {
        // Samples 1000..1049 never arrive.
        var recording = TestModels.Read("S002", "R04");
        var chunks = Chunks(recording).Where(c => c.FirstSampleIndex < 1000 || c.FirstSampleIndex >= 1050).ToList();
        var items = Run(recording, chunks);
        Assert.DoesNotContain(items, i => i.EndSample > 1000 && i.EndSample <= 1050);
        AssertNoneExactlyWhere(items.Where(i => i.EndSample <= 1000 || i.EndSample > 1050).ToList(), e => e > 1050 && e - Window < 1050, FailSafeReason.Gap);
    }

    [Fact]
    public void AFlatChannelGivesNoneForEveryWindowInWhichItIsFlat()
    {
        var items = Run(recording => Corrupt(recording, "C4", 2000, 2600, 12.5f));
        AssertNoneExactlyWhere(items, e => e - Window >= 2000 && e <= 2600, FailSafeReason.FlatChannel);
        Assert.All(items.Where(i => i.Reason == FailSafeReason.FlatChannel), i => Assert.Equal("C4", i.Detail));
    }

    [Fact]
    public void ASaturatedSampleGivesNoneForEveryWindowHoldingIt()
    {
        var items = Run(recording => Corrupt(recording, "Fcz", 2500, 2501, 3000f));
        AssertNoneExactlyWhere(items, e => e > 2500 && e - Window <= 2500, FailSafeReason.SaturatedChannel);
    }

    [Fact]
    public void AStreamWithoutTheModelsChannelsGivesNoneForEveryWindowPositionAndKeepsGoing()
    {
        var recording = TestModels.Read("S002", "R04");
        var three = new[] { "C3", "Cz", "C4" }.Select(recording.Info.IndexOf).ToArray();
        var info = new SignalInfo(160, ["C3", "Cz", "C4"]);
        var small = new Recording(info, three.Select(i => recording.Samples[i][..3200]).ToArray(), [], recording.Metadata);
        var items = Run(small, Chunks(small));
        Assert.Equal(((3200 - Window) / Chunk) + 1, items.Count);
        Assert.All(items, i => Assert.Equal(FailSafeReason.ChannelMismatch, i.Reason));
    }

    [Fact]
    public void AModelSwappedInMidStreamDecodesTheNextWindowWithoutAPauseOrAMissingPosition()
    {
        var recording = TestModels.Read("S002", "R04");
        using var context = new StageContext();
        var items = new List<WindowItem>();
        context.Stage.Handle(new StreamStarted(new StreamDescription(recording.Info, "test", "S002")), items);
        DecoderModel? swappedIn = null;
        foreach (var chunk in Chunks(recording).Take(300))
        {
            if (chunk.FirstSampleIndex == 1500)
            {
                swappedIn = DecoderModelLoader.Load(TestModels.S003ToS002);
                Assert.Null(context.Models.TrySwap(swappedIn, "test"));
            }

            context.Stage.Handle(new ChunkArrived(chunk, 0), items);
        }

        Assert.All(items, i => Assert.Equal(WindowItemKind.Window, i.Kind));
        Assert.Equal(Enumerable.Range(0, items.Count).Select(k => (long)(Window + (k * Chunk))), items.Select(i => i.EndSample));
        Assert.All(items.Where(i => i.EndSample <= 1500), i => Assert.NotSame(swappedIn, i.Model));
        Assert.All(items.Where(i => i.EndSample > 1500), i => Assert.Same(swappedIn, i.Model));

        // The same pipeline behind both models: features go on as if nothing happened (the primed
        // filters differ from the continuous ones only by a transient decayed over a second).
        var reference = Run(recording, Chunks(recording).Take(300).ToList());
        double worst = items.Zip(reference).Where(p => p.First.EndSample > 1500)
            .Max(p => Enumerable.Range(0, 64).Max(f => Math.Abs(p.First.Input![f] - p.Second.Input![f]) / Math.Abs(p.Second.Input![f])));
        Assert.True(worst < 1e-6, $"features after the swap differ by {worst:E2} (relative)");
    }

    private static List<WindowItem> Run(Action<Recording> corrupt)
    {
        var recording = TestModels.Read("S002", "R04");
        corrupt(recording);
        return Run(recording, Chunks(recording).Where(c => c.FirstSampleIndex < 6000).ToList());
    }

    private static List<WindowItem> Run(Recording recording, IReadOnlyList<SampleChunk> chunks)
    {
        using var context = new StageContext();
        var items = new List<WindowItem>();
        context.Stage.Handle(new StreamStarted(new StreamDescription(recording.Info, "test", "S002")), items);
        foreach (var chunk in chunks)
        {
            context.Stage.Handle(new ChunkArrived(chunk, 0), items);
        }

        return items;
    }

    /// <summary>Every window position is reported once, in order; exactly those matching <paramref name="bad"/> are fail-safe.</summary>
    private static void AssertNoneExactlyWhere(IReadOnlyList<WindowItem> items, Func<long, bool> bad, FailSafeReason reason)
    {
        Assert.Equal(items.Select(i => i.EndSample).Order(), items.Select(i => i.EndSample));
        Assert.Equal(items.Count, items.Select(i => i.EndSample).Distinct().Count());
        var failSafe = items.Where(i => i.Kind != WindowItemKind.Window).Select(i => i.EndSample).ToList();
        var expected = items.Select(i => i.EndSample).Where(bad).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, failSafe);
        Assert.All(items.Where(i => i.Kind != WindowItemKind.Window), i => Assert.Equal(reason, i.Reason));
        Assert.All(items.Where(i => i.Kind == WindowItemKind.Window), i => Assert.NotNull(i.Input));
    }

    private static void Corrupt(Recording recording, string channel, int from, int to, float value)
    {
        var samples = recording.Samples[recording.Info.IndexOf(channel)];
        for (int s = from; s < to; s++)
        {
            samples[s] = value;
        }
    }

    private static List<SampleChunk> Chunks(Recording recording) =>
        Enumerable.Range(0, recording.SampleCount / Chunk).Select(k => SampleChunk.FromChannelMajor(recording.Samples, (long)k * Chunk, Chunk)).ToList();

    /// <summary>A window stage around the S001→S002 model.</summary>
    private sealed class StageContext : IDisposable
    {
        public StageContext()
        {
            var metrics = new DaemonMetrics();
            Models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);
            Models.Initialize(DecoderModelLoader.Load(TestModels.S001ToS002), AlignmentMode.Auto);
            Stage = new WindowStage(Models, new FailSafeOptions(), new DecoderOptions(), new AcquisitionOptions(), metrics, NullLogger<WindowStage>.Instance);
        }

        public ActiveModel Models { get; }

        public WindowStage Stage { get; }

        public void Dispose() => Models.Dispose();
    }
}
