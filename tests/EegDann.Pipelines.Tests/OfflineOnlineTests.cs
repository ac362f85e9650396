using EegDann.Core;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;
using Xunit.Abstractions;

namespace EegDann.Pipelines.Tests;

public sealed class OfflineOnlineTests(ITestOutputHelper output)
{
    [Fact]
    public void ARecordingInRandomChunksOf1SampleTo10SecondsGivesTheWindowsAndFeaturesOfOnePiece()
    {
        var recording = RealRecordings.Read("S001", "R04");
        var definition = RealRecordings.MiLogVar;
        var signal = SignalPipeline.Create(definition);
        var fitted = FeaturePipeline.Fit(signal, [signal.ExtractEpochs(recording).Epochs]);

        var whole = Run(definition, fitted, recording, _ => recording.SampleCount);
        var random = new Random(20261128);
        var chunked = Run(definition, fitted, recording, _ => random.Next(1, 1601));

        Assert.Equal(whole.Starts, chunked.Starts);
        Assert.Equal(recording.SampleCount / 10 - 31, whole.Starts.Count); // windows of 320 every 10 samples
        double worst = MaxRelativeDifference(whole.Features, chunked.Features);
        output.WriteLine($"{whole.Starts.Count} windows of S001R04, max relative feature difference chunked vs whole: {worst:E3}");
        Assert.True(worst <= 1e-9, $"max relative difference {worst:E3}");
    }

    [Theory]
    [InlineData(160.0)]
    [InlineData(250.0)]
    [InlineData(512.0)]
    [InlineData(100.0)]
    public void TheFrontEndGivesTheRateMappingItResamplesWithSoPipelineIndicesFollowItsSourceIndices(double sourceRate)
    {
        var recording = RealRecordings.Read("S001", "R04");
        var definition = RealRecordings.MiLogVar;
        var signal = SignalPipeline.Create(definition);
        var fitted = FeaturePipeline.Fit(signal, [signal.ExtractEpochs(recording).Epochs]);
        var source = new SignalInfo(sourceRate, recording.Info.Channels);
        var consumer = new Collector();
        var frontEnd = new OnlineFrontEnd(definition, fitted, source, "S001", OnlineAlignment.Fixed, consumer);
        var rate = frontEnd.Rate;
        Assert.Equal(definition.Signal.RateFrom(sourceRate), rate);
        Assert.Equal((sourceRate, 160.0, sourceRate == 160), (rate.SourceRateHz, rate.PipelineRateHz, rate.IsIdentity));

        // The resampler is centred: its output trails the mapped input by half its filter, about
        // 10 samples at the lower rate; restarted at source index k, its first output is the
        // mapped index rounded up.
        double lag = sourceRate == 160 ? 0 : 10 * Math.Max(1, 160 / sourceRate);
        var noise = new Random(20261206);
        var samples = new float[2 * 1000 * source.ChannelCount];
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = (float)(noise.NextDouble() - 0.5) * 40;
        }

        foreach (long first in new long[] { 0, 1001, 123457 })
        {
            frontEnd.Restart(first);
            Assert.InRange(frontEnd.NextOutputIndex - rate.ToPipeline(first), 0, 1);
            for (long at = first; at < first + 2000; at += 1000)
            {
                frontEnd.Push(samples.AsSpan(0, 1000 * source.ChannelCount), 1000, at);
                long mapped = rate.ToPipeline(frontEnd.NextInputIndex);
                Assert.InRange(mapped - frontEnd.NextOutputIndex, Math.Floor(lag) - 1, Math.Ceiling(lag) + 1);
            }
        }

        Assert.NotEmpty(consumer.Starts);
        Assert.All(consumer.Starts, s => Assert.Equal(0, s % signal.StrideSamples));
    }

    [Fact]
    public void EpochsCutInRandomChunksEqualEpochsCutInOnePiece()
    {
        var recording = RealRecordings.Read("S001", "R08");
        var signal = SignalPipeline.Create(RealRecordings.MiLogVar);
        var whole = signal.ExtractEpochs(recording, chunkSamples: recording.SampleCount).Epochs;
        var small = signal.ExtractEpochs(recording, chunkSamples: 7).Epochs;
        Assert.Equal(15, whole.Count);
        for (int i = 0; i < whole.Count; i++)
        {
            Assert.Equal(whole.Epochs[i].Info, small.Epochs[i].Info);
            Assert.Equal(whole.Epochs[i].Data, small.Epochs[i].Data);
        }
    }

    [Fact]
    public void WindowsOfTheOnlineFrontEndHaveTheFeaturesOfTheSameWindowsInBatch()
    {
        var recording = RealRecordings.Read("S001", "R12");
        var definition = RealRecordings.MiLogVar with { Windows = new WindowSettings(2.0, 1.0) };
        var signal = SignalPipeline.Create(definition);
        var fitted = FeaturePipeline.Fit(signal, [signal.ExtractEpochs(recording).Epochs]);
        var batch = FeaturePipeline.Transform(definition, fitted, signal.ExtractWindows(recording));
        var online = Run(definition, fitted, recording, _ => 37);
        Assert.Equal(batch.Rows.Select(r => r.StartSample), online.Starts);

        // Running sums (the live path) against each window's two-pass variance (the batch path): equal to rounding.
        double worst = MaxRelativeDifference(Rows(batch), online.Features);
        output.WriteLine($"{online.Starts.Count} windows of S001R12: max relative feature difference live (running sums) vs batch (whole windows) {worst:E3}");
        Assert.True(worst <= 1e-9, $"max relative difference {worst:E3}");

        var replay = OnlineFrontEnd.Replay(definition, fitted, recording);
        Assert.Equal(batch.Rows, replay.Rows);
        Assert.True(MaxRelativeDifference(Rows(batch), Rows(replay)) <= 1e-9);
    }

    [Fact]
    public void ALogVariancePipelineIsComputedIncrementallyWhileAConsumerOfAlignedSamplesGetsWholeWindowsBitForBit()
    {
        var recording = RealRecordings.Read("S001", "R12");
        var definition = RealRecordings.MiLogVar with { Windows = new WindowSettings(2.0, 0.5) };
        var signal = SignalPipeline.Create(definition);
        var fitted = FeaturePipeline.Fit(signal, [signal.ExtractEpochs(recording).Epochs]);
        var batch = FeaturePipeline.Transform(definition, fitted, signal.ExtractWindows(recording));

        var incremental = new Collector();
        var fast = new OnlineFrontEnd(definition, fitted, recording.Info, "S001", OnlineAlignment.Fixed, incremental);
        Push(fast, recording, _ => 64);
        Assert.True(fast.ComputesIncrementally);
        Assert.Equal(batch.RowCount, fast.WindowCount);

        var whole = new Collector { ReadAligned = true };
        var slow = new OnlineFrontEnd(definition, fitted, recording.Info, "S001", OnlineAlignment.Fixed, whole, readsAlignedSamples: true);
        Push(slow, recording, _ => 64);
        Assert.False(slow.ComputesIncrementally);
        Assert.Equal(Rows(batch), whole.Features);
        Assert.True(MaxRelativeDifference(Rows(batch), incremental.Features) <= 1e-9);
    }

    [Fact]
    public void AnAlignmentFromTheStreamIsFollowedIncrementallyWithTheFeaturesAndWarmUpOfWholeWindows()
    {
        var recording = RealRecordings.Read("S001", "R08");
        var alignment = new EuclideanAlignmentSpec(new Dsp.Alignment.EuclideanAlignmentOptions { WarmupWindows = 8, UpdateEveryWindows = 4 }, AlignmentReference.Windows);
        var definition = RealRecordings.MiLogVar.WithAlignment(alignment) with { Windows = new WindowSettings(2.0, 0.25) };
        var signal = SignalPipeline.Create(definition);
        var fit = FeaturePipeline.FitAlignment(signal, signal.ExtractWindows(recording));
        var fitted = FeaturePipeline.Fit(signal, [signal.ExtractEpochs(recording).Epochs], alignments: new Dictionary<string, Dsp.Alignment.AlignmentFit> { ["S001"] = fit });

        var incremental = new Collector();
        var fast = new OnlineFrontEnd(definition, fitted, recording.Info, "S001", OnlineAlignment.FromStream, incremental);
        Push(fast, recording, _ => 37);
        var whole = new Collector { ReadAligned = true };
        var slow = new OnlineFrontEnd(definition, fitted, recording.Info, "S001", OnlineAlignment.FromStream, whole, readsAlignedSamples: true);
        Push(slow, recording, _ => 37);

        Assert.True(fast.ComputesIncrementally);
        Assert.False(slow.ComputesIncrementally);
        Assert.Equal(whole.Starts, incremental.Starts);
        Assert.Equal(whole.Ready, incremental.Ready);
        Assert.Equal(slow.Alignment!.Updates, fast.Alignment!.Updates);

        // Both observe the same samples (each window's new ones) through the same sums: the same estimate bit for bit.
        Assert.Equal(slow.Alignment.Snapshot().Reference, fast.Alignment.Snapshot().Reference);
        double worst = MaxScaledDifference(whole.Features, incremental.Features);
        output.WriteLine($"{whole.Starts.Count} windows of S001R08, {fast.Alignment.Updates} updates of R^-1/2: max scaled feature difference incremental vs whole windows {worst:E3}");
        Assert.True(worst <= 1e-9, $"max scaled difference {worst:E3}");
    }

    /// <summary>
    /// The largest |a − b| / max(|a|, |b|, 1): relative for features larger than 1, absolute below
    /// (z-scored features cross 0, where a relative difference of rounding means nothing).
    /// </summary>
    internal static double MaxScaledDifference(IReadOnlyList<double[]> a, IReadOnlyList<double[]> b)
    {
        Assert.Equal(a.Count, b.Count);
        double worst = 0;
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Length, b[i].Length);
            for (int f = 0; f < a[i].Length; f++)
            {
                worst = Math.Max(worst, Math.Abs(a[i][f] - b[i][f]) / Math.Max(1, Math.Max(Math.Abs(a[i][f]), Math.Abs(b[i][f]))));
            }
        }

        return worst;
    }

    internal static List<double[]> Rows(FeatureTable table) => Enumerable.Range(0, table.RowCount).Select(i => table.Row(i).ToArray()).ToList();

    [Fact]
    public void OnlineAlignmentFromTheStreamConvergesToTheBatchAlignmentOfTheSameWindows()
    {
        var recording = RealRecordings.Read("S001", "R04");
        var alignment = new EuclideanAlignmentSpec(new Dsp.Alignment.EuclideanAlignmentOptions { WarmupWindows = 8, UpdateEveryWindows = 4 }, AlignmentReference.Windows);
        var definition = RealRecordings.MiLogVar.WithAlignment(alignment) with { Windows = new WindowSettings(2.0, 0.5) };
        var signal = SignalPipeline.Create(definition);
        var windows = signal.ExtractWindows(recording);
        var batch = FeaturePipeline.FitAlignment(signal, windows);
        var streamed = FeaturePipeline.FitAlignmentOnWindows(signal, "S001", [recording]);
        Assert.All(batch.Reference.Zip(streamed.Reference), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-12 * Math.Abs(batch.Reference[0])));
        Assert.Throws<ArgumentException>(() => FeaturePipeline.Fit(signal, [signal.ExtractEpochs(recording).Epochs]));
        var fitted = FeaturePipeline.Fit(signal, [signal.ExtractEpochs(recording).Epochs], alignments: new Dictionary<string, Dsp.Alignment.AlignmentFit> { ["S001"] = batch });

        var consumer = new Collector();
        var frontEnd = new OnlineFrontEnd(definition, fitted, recording.Info, "S001", OnlineAlignment.FromStream, consumer);
        Push(frontEnd, recording, _ => 160);
        Assert.Equal(windows.Count, consumer.Starts.Count);
        Assert.Equal(7, consumer.Ready.IndexOf(true)); // the 8th window ends the warm-up
        frontEnd.Alignment!.Update();
        var online = frontEnd.Alignment.Whitening.ToArray();
        double difference = 0, norm = 0;
        for (int i = 0; i < online.Length; i++)
        {
            difference += Math.Pow(online[i] - batch.Whitening[i], 2);
            norm += batch.Whitening[i] * batch.Whitening[i];
        }

        // The stream's estimate is the second moment of every sample the windows cover, the batch one the mean of the
        // windows' second moments: the same but for the weight of the first and last window length of samples (4 s of
        // this 125 s recording), so they agree closely, not to rounding.
        output.WriteLine($"R^-1/2 from the stream vs the mean of the windows: relative difference {Math.Sqrt(difference / norm):E3}");
        Assert.True(Math.Sqrt(difference / norm) < 0.02, $"relative difference {Math.Sqrt(difference / norm):E3}");
    }

    internal static double MaxRelativeDifference(IReadOnlyList<double[]> a, IReadOnlyList<double[]> b)
    {
        Assert.Equal(a.Count, b.Count);
        double worst = 0;
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Length, b[i].Length);
            for (int f = 0; f < a[i].Length; f++)
            {
                double scale = Math.Max(Math.Abs(a[i][f]), Math.Abs(b[i][f]));
                if (scale > 0)
                {
                    worst = Math.Max(worst, Math.Abs(a[i][f] - b[i][f]) / scale);
                }
            }
        }

        return worst;
    }

    private static Collector Run(PipelineDefinition definition, FittedPipeline fitted, Recording recording, Func<long, int> chunk)
    {
        var consumer = new Collector();
        var frontEnd = new OnlineFrontEnd(definition, fitted, recording.Info, recording.Metadata.Subject, OnlineAlignment.Fixed, consumer);
        Push(frontEnd, recording, chunk);
        return consumer;
    }

    private static void Push(OnlineFrontEnd frontEnd, Recording recording, Func<long, int> chunk)
    {
        for (long start = 0; start < recording.SampleCount;)
        {
            int count = (int)Math.Min(chunk(start), recording.SampleCount - start);
            frontEnd.Push(SampleChunk.FromChannelMajor(recording.Samples, start, count));
            start += count;
        }
    }

    private sealed class Collector : IOnlineWindowConsumer
    {
        public List<long> Starts { get; } = [];

        public List<double[]> Features { get; } = [];

        public List<bool> Ready { get; } = [];

        public bool ReadAligned { get; init; }

        public void OnWindow(in OnlineWindow window)
        {
            if (ReadAligned)
            {
                Assert.Equal(window.Length * 64, window.AlignedSamples.Length);
            }

            Starts.Add(window.StartSample);
            Features.Add(window.Features.ToArray());
            Ready.Add(window.AlignmentReady);
        }
    }
}
