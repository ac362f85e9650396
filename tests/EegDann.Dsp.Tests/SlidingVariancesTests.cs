using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Dsp.LinearAlgebra;
using EegDann.Dsp.Segmentation;
using EegDann.Dsp.Streaming;
using Xunit.Abstractions;

namespace EegDann.Dsp.Tests;

public sealed class SlidingVariancesTests(ITestOutputHelper output)
{
    private const int Bands = 3;
    private const int Channels = 8;
    private const int Length = 64;
    private const int Stride = 5;

    [Fact]
    public void EveryWindowHasTheAlignedCentredVariancesOfTheWholeWindowEvenWithLargeOffsets()
    {
        // Offsets of 10 mV on 20 µV of noise: the naive Σy² − (Σy)²/n would lose ~9 of 16 digits.
        var samples = Samples(3000, seed: 1, offset: 1e4);
        var whitening = Whitening(seed: 2);
        var streamed = Stream(samples, whitening, _ => 37);
        var whole = Windows(samples, whitening);

        Assert.Equal(whole.Select(w => w.Start), streamed.Select(w => w.Start));
        Assert.Equal(((3000 - Length) / Stride) + 1, streamed.Count);
        double worst = 0;
        for (int i = 0; i < whole.Count; i++)
        {
            for (int k = 0; k < Bands * Channels; k++)
            {
                double a = whole[i].Variances[k], b = streamed[i].Variances[k];
                worst = Math.Max(worst, Math.Abs(a - b) / Math.Abs(a));
            }
        }

        output.WriteLine($"{streamed.Count} windows, worst relative difference to the whole-window variances {worst:E3}");
        Assert.True(worst <= 1e-9, $"worst relative difference {worst:E3}");
    }

    [Fact]
    public void AStreamGivesBitIdenticalVariancesWhateverItsChunking()
    {
        var samples = Samples(2000, seed: 3, offset: 50);
        var whitening = Whitening(seed: 4);
        var one = Stream(samples, whitening, _ => 2000);
        var random = new Random(5);
        var chunked = Stream(samples, whitening, _ => random.Next(1, 300));
        var single = Stream(samples, whitening, _ => 1);
        Assert.Equal(one.Select(w => w.Start), chunked.Select(w => w.Start));
        for (int i = 0; i < one.Count; i++)
        {
            Assert.Equal(one[i].Variances, chunked[i].Variances);
            Assert.Equal(one[i].Variances, single[i].Variances);
        }
    }

    [Fact]
    public void WithoutAlignmentTheVariancesAreThoseOfTheRawWindow()
    {
        var samples = Samples(500, seed: 6, offset: -300);
        var streamed = Stream(samples, null, _ => 64);
        var whole = Windows(samples, null);
        Assert.Equal(whole.Count, streamed.Count);
        for (int i = 0; i < whole.Count; i++)
        {
            for (int k = 0; k < Bands * Channels; k++)
            {
                Assert.Equal(whole[i].Variances[k], streamed[i].Variances[k], 1e-9 * whole[i].Variances[k]);
            }
        }
    }

    [Fact]
    public void ARestartDropsTheWindowsAcrossItAndResumesOnTheGridLikeTheWindower()
    {
        var samples = Samples(1000, seed: 7, offset: 0);
        var sink = new Collector();
        var stage = new SlidingVariances(Bands, Channels, Length, Stride, [], sink);
        var starts = new StartCollector();
        var windower = new SlidingWindower(Bands * Channels, Length, Stride, starts);
        var history = new SignalHistory(Bands * Channels, Length + 300);
        int width = Bands * Channels;
        history.Append(samples.AsSpan(0, 400 * width), 400);
        stage.OnAppended(history);
        windower.OnAppended(history);

        // 23 samples are lost: both restart at 423.
        history.Restart(423);
        stage.Restart(423);
        windower.Restart(423);
        history.Append(samples.AsSpan(423 * width, 300 * width), 300);
        stage.OnAppended(history);
        windower.OnAppended(history);

        Assert.Equal(starts.Starts, sink.Windows.Select(w => w.Start));
        Assert.Contains(425L, starts.Starts);
        Assert.DoesNotContain(starts.Starts, s => s < 423 && s + Length > 400);

        // After the restart the variances are those of the windows themselves, nothing before the gap.
        var whole = Windows(samples, null).ToDictionary(w => w.Start);
        foreach (var window in sink.Windows.Where(w => w.Start >= 423))
        {
            for (int k = 0; k < width; k++)
            {
                Assert.Equal(whole[window.Start].Variances[k], window.Variances[k], 1e-9 * whole[window.Start].Variances[k]);
            }
        }
    }

    [Theory]
    [InlineData(4)] // tiles the 64-sample window
    [InlineData(5)] // does not: a window is not a whole number of strides
    public void FollowingAnAlignmentEstimatedFromTheStreamGivesTheWholeWindowPathsEstimateAndVariances(int stride)
    {
        // The estimate is updated every 3 windows after a warm-up of 5.
        var options = new EuclideanAlignmentOptions { WarmupWindows = 5, UpdateEveryWindows = 3 };
        var samples = Samples(1500, seed: 8, offset: 30);
        int width = Bands * Channels, count = samples.Length / width;
        var streamedAlignment = new OnlineEuclideanAlignment("S", Channels, options, bands: Bands);
        var sink = new Collector();
        var stage = new SlidingVariances(Bands, Channels, Length, stride, streamedAlignment, sink);
        Assert.True(stage.FollowsAlignment);
        var history = new SignalHistory(width, Length + 200);
        var random = new Random(9);
        for (int done = 0; done < count;)
        {
            int n = Math.Min(random.Next(1, 200), count - done);
            history.Append(samples.AsSpan(done * width, n * width), n);
            stage.OnAppended(history);
            done += n;
        }

        // The whole-window path: the samples each window brings (all of the first's, then the last stride's), taken
        // from the window, observed in order, then the window aligned with the current R^-1/2.
        var wholeAlignment = new OnlineEuclideanAlignment("S", Channels, options, bands: Bands);
        var contexts = Enumerable.Range(0, Bands).Select(_ => new WindowContext(Channels, Length, 160)).ToArray();
        var band = new double[Channels * Length];
        var scratch = new double[Length * Channels];
        int windows = 0;
        double worstVariance = 0;
        for (int start = 0; start + Length <= count; start += stride, windows++)
        {
            for (int b = 0; b < Bands; b++)
            {
                for (int c = 0; c < Channels; c++)
                {
                    for (int s = 0; s < Length; s++)
                    {
                        band[(c * Length) + s] = samples[((start + s) * width) + (b * Channels) + c];
                    }
                }

                contexts[b].Load(band);
                int brought = OuterProducts.ToSampleMajor(band, Channels, Length, start == 0 ? 0 : Length - stride, scratch);
                wholeAlignment.Accumulate(b, scratch, brought);
            }

            wholeAlignment.Observe(start == 0 ? Length : stride);
            Assert.Equal(start, sink.Windows[windows].Start);
            for (int b = 0; b < Bands; b++)
            {
                contexts[b].Align(wholeAlignment.Whitening.Slice(b * Channels * Channels, Channels * Channels));
                for (int c = 0; c < Channels; c++)
                {
                    double a = contexts[b].Variances[c], v = sink.Windows[windows].Variances[(b * Channels) + c];
                    worstVariance = Math.Max(worstVariance, Math.Abs(a - v) / a);
                }
            }
        }

        Assert.Equal(windows, sink.Windows.Count);
        Assert.Equal(wholeAlignment.Updates, streamedAlignment.Updates);
        Assert.True(streamedAlignment.Updates > 100);
        double worstWhitening = wholeAlignment.Whitening.ToArray().Zip(streamedAlignment.Whitening.ToArray()).Max(p => Math.Abs(p.First - p.Second)) / wholeAlignment.Whitening.ToArray().Max(Math.Abs);
        output.WriteLine($"{windows} windows, {streamedAlignment.Updates} updates: worst relative variance difference {worstVariance:E3}, R^-1/2 {worstWhitening:E3}");
        Assert.True(worstVariance <= 1e-9, $"worst relative variance difference {worstVariance:E3}");

        // The same samples through the same sums: the estimates, and so R^-1/2, are the same bit for bit.
        Assert.Equal(wholeAlignment.Snapshot().Reference, streamedAlignment.Snapshot().Reference);
        Assert.Equal(wholeAlignment.Whitening.ToArray(), streamedAlignment.Whitening.ToArray());
    }

    /// <summary>Sample-major bands × channels: noise, a 10 Hz wave and an offset per channel.</summary>
    private static double[] Samples(int count, int seed, double offset)
    {
        var random = new Random(seed);
        int width = Bands * Channels;
        var data = new double[count * width];
        for (int s = 0; s < count; s++)
        {
            for (int k = 0; k < width; k++)
            {
                data[(s * width) + k] = (offset * (1 + (k % 3))) + (15 * Math.Sin((2 * Math.PI * 10 * s / 160.0) + k)) + (20 * Signals.Gaussian(random));
            }
        }

        return data;
    }

    /// <summary>A symmetric positive-definite R^-1/2-like matrix per band.</summary>
    private static double[] Whitening(int seed)
    {
        var random = new Random(seed);
        var result = new double[Bands * Channels * Channels];
        for (int b = 0; b < Bands; b++)
        {
            var a = new double[Channels * Channels];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = Signals.Gaussian(random) * 0.05;
            }

            for (int i = 0; i < Channels; i++)
            {
                for (int j = 0; j < Channels; j++)
                {
                    result[(b * Channels * Channels) + (i * Channels) + j] = (i == j ? 0.1 : 0) + a[(i * Channels) + j] + a[(j * Channels) + i];
                }
            }
        }

        return result;
    }

    private static List<(long Start, double[] Variances)> Stream(double[] samples, double[]? whitening, Func<long, int> chunk)
    {
        int width = Bands * Channels, count = samples.Length / width;
        var sink = new Collector();
        var stage = new SlidingVariances(Bands, Channels, Length, Stride, whitening ?? [], sink);
        var history = new SignalHistory(width, 300);
        for (int done = 0; done < count;)
        {
            int n = Math.Min(Math.Min(chunk(done), 256), count - done);
            history.Append(samples.AsSpan(done * width, n * width), n);
            stage.OnAppended(history);
            done += n;
        }

        Assert.Equal(sink.Windows.Count, stage.WindowCount);
        return sink.Windows;
    }

    /// <summary>The batch way: each whole window through <see cref="WindowContext"/> (covariance, W·Σ·Wᵀ, its diagonal).</summary>
    private static List<(long Start, double[] Variances)> Windows(double[] samples, double[]? whitening)
    {
        int width = Bands * Channels, count = samples.Length / width;
        var context = new WindowContext(Channels, Length, 160);
        var result = new List<(long, double[])>();
        var band = new double[Channels * Length];
        for (int start = 0; start + Length <= count; start += Stride)
        {
            var variances = new double[width];
            for (int b = 0; b < Bands; b++)
            {
                for (int c = 0; c < Channels; c++)
                {
                    for (int s = 0; s < Length; s++)
                    {
                        band[(c * Length) + s] = samples[((start + s) * width) + (b * Channels) + c];
                    }
                }

                context.Load(band);
                if (whitening != null)
                {
                    context.Align(whitening.AsSpan(b * Channels * Channels, Channels * Channels));
                }

                context.Variances.CopyTo(variances.AsSpan(b * Channels, Channels));
            }

            result.Add((start, variances));
        }

        return result;
    }

    private sealed class Collector : IWindowVarianceSink
    {
        public List<(long Start, double[] Variances)> Windows { get; } = [];

        public void OnWindow(long startSample, ReadOnlySpan<double> variances) => Windows.Add((startSample, variances.ToArray()));
    }

    private sealed class StartCollector : IWindowSink
    {
        public List<long> Starts { get; } = [];

        public void OnWindow(long startSample, ReadOnlySpan<double> window) => Starts.Add(startSample);
    }
}
