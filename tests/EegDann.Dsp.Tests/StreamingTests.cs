using EegDann.Core;
using EegDann.Dsp.Features;
using EegDann.Dsp.Filters;
using EegDann.Dsp.Resampling;
using EegDann.Dsp.Segmentation;
using EegDann.Dsp.Spatial;
using EegDann.Dsp.Streaming;

namespace EegDann.Dsp.Tests;

public sealed class StreamingTests
{
    private static readonly string[] SourceChannels = ["Fz", "C3", "Cz", "C4", "Pz", "EOG"];
    private static readonly string[] PipelineChannels = ["C4", "C3", "Cz", "Pz", "Fz"];

    [Theory]
    [InlineData(160.0, 160.0)]
    [InlineData(250.0, 160.0)]
    public void ARecordingInRandomChunksGivesTheWindowsEpochsAndFeaturesOfOnePiece(double sourceRate, double pipelineRate)
    {
        const int seconds = 40;
        var source = new SignalInfo(sourceRate, SourceChannels);
        int n = (int)(seconds * sourceRate);
        var raw = RawSamples(source.ChannelCount, n, seed: 8);
        var requests = Enumerable.Range(0, 12).Select(i =>
        {
            long start = SampleTime.ToSamples((2.1 * i) + 0.5 + 0.5, pipelineRate);
            return new EpochRequest(start, 320, new EpochInfo("S001", "S001R04", start, i % 2 == 0 ? "left" : "right"));
        }).ToArray();

        var whole = Run(source, pipelineRate, raw, n, requests, _ => n);
        var random = new Random(1234);
        int tenSeconds = (int)(10 * sourceRate);
        var chunked = Run(source, pipelineRate, raw, n, requests, _ => random.Next(1, tenSeconds + 1));
        var single = Run(source, pipelineRate, raw, n, requests, _ => 1);

        foreach (var other in new[] { chunked, single })
        {
            Assert.Equal(whole.Epochs.Count, other.Epochs.Count);
            Assert.Equal(whole.WindowStarts, other.WindowStarts);
            Assert.True(whole.WindowStarts.Count > 100);
            Assert.Equal(12, whole.Epochs.Count);
            for (int i = 0; i < whole.Epochs.Count; i++)
            {
                Assert.Equal(whole.Epochs[i].Info, other.Epochs[i].Info);
                Assert.Equal(whole.Epochs[i].Data, other.Epochs[i].Data);
            }

            Assert.Equal(whole.WindowFeatures.Count, other.WindowFeatures.Count);
            double worst = 0;
            for (int i = 0; i < whole.WindowFeatures.Count; i++)
            {
                for (int f = 0; f < whole.WindowFeatures[i].Length; f++)
                {
                    double a = whole.WindowFeatures[i][f], b = other.WindowFeatures[i][f];
                    worst = Math.Max(worst, Math.Abs(a - b) / Math.Max(Math.Abs(a), 1e-300));
                }
            }

            Assert.True(worst <= 1e-9, $"max relative difference {worst:E3}");
        }
    }

    [Fact]
    public void AMissingChannelIsNamedInTheError()
    {
        var source = new SignalInfo(160, ["C3", "Cz"]);
        var e = Assert.Throws<ChannelMismatchException>(() => new ChannelSelector(source, ["C3", "C4", "Cz", "Pz"]));
        Assert.Equal(["C4", "Pz"], e.Missing);
        Assert.Contains("missing channels C4, Pz", e.Message);
    }

    [Fact]
    public void ChannelsAreMatchedIgnoringCaseAndReordered()
    {
        var source = new SignalInfo(160, ["FC5", "C3", "CZ"]);
        var selector = new ChannelSelector(source, ["Cz", "Fc5"]);
        var output = new double[2];
        selector.Select(new float[] { 1, 2, 3 }, 1, output);
        Assert.Equal([3.0, 1.0], output);
    }

    [Fact]
    public void AGapInSampleIndicesIsReportedAndRestartDropsWindowsAcrossIt()
    {
        var source = new SignalInfo(160, ["C3", "C4"]);
        var sink = new CollectingSink();
        var windower = new SlidingWindower(2, 32, 10, sink);
        var processor = new StreamingSignalProcessor(new ChannelSelector(source, ["C3", "C4"]), null, [], [windower]);
        processor.Push(new SampleChunk(0, 2, 50, new float[100]));
        var e = Assert.Throws<StreamDiscontinuityException>(() => processor.Push(new SampleChunk(60, 2, 10, new float[20])));
        Assert.Equal(50, e.Expected);
        Assert.Contains("a gap of 10", e.Message);

        processor.Restart(60);
        processor.Push(new SampleChunk(60, 2, 60, new float[120]));
        Assert.Equal([0L, 10, 60, 70, 80], sink.Starts);
    }

    private static Result Run(SignalInfo source, double pipelineRate, float[] raw, int n, EpochRequest[] requests, Func<int, int> chunk)
    {
        int c = PipelineChannels.Length;
        var stages = new ISampleStage[]
        {
            new CommonAverageReference(c),
            new SosFilter(Butterworth.Notch(50, 4, 2, pipelineRate), c),
            new SosFilter(Butterworth.BandPass(8, 30, 4, pipelineRate), c),
        };
        var resampler = source.SampleRateHz == pipelineRate ? null : new PolyphaseResampler(ResamplerDesign.For(source.SampleRateHz, pipelineRate), c, StreamingSignalProcessor.BlockSize);
        var featurizer = new WindowFeaturizer(c, 320, pipelineRate, [new LogVarianceFeatures(PipelineChannels), new BandPowerFeatures(PipelineChannels, 320, pipelineRate, [new FrequencyBand(8, 13), new FrequencyBand(13, 30)], true)], null);
        var sink = new FeatureSink(featurizer);
        var cutter = new EpochCutter(c, requests);
        var windower = new SlidingWindower(c, 320, 10, sink);
        var processor = new StreamingSignalProcessor(new ChannelSelector(source, PipelineChannels), resampler, stages, [cutter, windower]);
        for (int start = 0; start < n;)
        {
            int count = Math.Min(chunk(start), n - start);
            processor.Push(raw.AsSpan(start * source.ChannelCount, count * source.ChannelCount), count, start);
            start += count;
        }

        processor.Complete();
        return new Result(cutter.Epochs, sink.Starts, sink.Features);
    }

    private static float[] RawSamples(int channels, int n, int seed)
    {
        var random = new Random(seed);
        var data = new float[channels * n];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < channels; c++)
            {
                data[(i * channels) + c] = (float)((30 * Signals.Gaussian(random)) + (15 * Math.Sin(2 * Math.PI * 10 * i / 160.0)) + (40 * Math.Sin(2 * Math.PI * 50 * i / 160.0)) + 100);
            }
        }

        return data;
    }

    private sealed record Result(IReadOnlyList<Epoch> Epochs, List<long> WindowStarts, List<double[]> WindowFeatures);

    private sealed class FeatureSink(WindowFeaturizer featurizer) : IWindowSink
    {
        public List<long> Starts { get; } = [];

        public List<double[]> Features { get; } = [];

        public void OnWindow(long startSample, ReadOnlySpan<double> window)
        {
            var f = new double[featurizer.FeatureCount];
            featurizer.Compute(window, [], f);
            Starts.Add(startSample);
            Features.Add(f);
        }
    }

    private sealed class CollectingSink : IWindowSink
    {
        public List<long> Starts { get; } = [];

        public void OnWindow(long startSample, ReadOnlySpan<double> window) => Starts.Add(startSample);
    }
}
