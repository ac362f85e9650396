using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Dsp.LinearAlgebra;
using EegDann.Dsp.Streaming;

namespace EegDann.Dsp.Tests;

/// <summary>
/// The alignment worker: R^-1/2 recomputed on its thread lands at the same window, bit for bit, as
/// when the caller's thread computes it in parts, and refusals come at the same window too.
/// </summary>
public sealed class AlignmentWorkerTests
{
    private const int Channels = 8;

    [Theory]
    [InlineData(5, 16, false)] // the default filter bank and period
    [InlineData(3, 6, false)]
    [InlineData(2, 1, false)] // every band due at every window: the previous recomputation is awaited first
    [InlineData(4, 2, true)] // with a prior: warm at once, the first turns without a warm-up
    public void AWorkerGivesTheSameWhiteningAtEveryWindowBitForBit(int bands, int period, bool withPrior)
    {
        var options = new EuclideanAlignmentOptions { WarmupWindows = 4, UpdateEveryWindows = period };
        var windows = Moments(bands, count: 80, seed: bands * 10 + period);
        var prior = withPrior ? EuclideanAlignment.FromReference("S", windows[0], 1, Channels, options, bands) : null;
        var alone = new OnlineEuclideanAlignment("S", Channels, options, prior, bands: bands);
        using var worker = new AlignmentWorker();
        var beside = new OnlineEuclideanAlignment("S", Channels, options, prior, bands: bands, worker: worker);
        for (int k = 0; k < windows.Count; k++)
        {
            alone.Observe(windows[k]);
            beside.Observe(windows[k]);
            if (k == 50)
            {
                // An explicit update drops what is under way (the worker may still be on it) in both.
                alone.Update();
                beside.Update();
            }

            Assert.Equal(alone.Whitening.ToArray(), beside.Whitening.ToArray());
            for (int b = 0; b < bands; b++)
            {
                Assert.Equal(alone.UpdatesOf(b), beside.UpdatesOf(b));
            }
        }

        Assert.True(alone.Updates > 10, $"{alone.Updates} recomputations");
        Assert.True(worker.Completed > 10, $"{worker.Completed} recomputations on the worker");
    }

    [Fact]
    public void AReferenceThatIsNotPositiveDefiniteIsRefusedAtTheSameWindowWithTheSameMessage()
    {
        // The first three windows are of full rank; from the fourth, two channels are identical and
        // swamp the others, so the running mean's smallest eigenvalue falls below the threshold.
        var options = new EuclideanAlignmentOptions { WarmupWindows = 3, UpdateEveryWindows = 2, Shrinkage = 0 };
        var windows = Moments(1, count: 3, seed: 5);
        var singular = new double[Channels * Channels];
        singular[0] = singular[1] = singular[Channels] = singular[Channels + 1] = 1e30;
        for (int k = 0; k < 20; k++)
        {
            windows.Add(singular);
        }

        var (aloneAt, aloneError) = FirstRefusal(new OnlineEuclideanAlignment("S042", Channels, options), windows);
        using var worker = new AlignmentWorker();
        var (besideAt, besideError) = FirstRefusal(new OnlineEuclideanAlignment("S042", Channels, options, worker: worker), windows);
        Assert.IsType<FitDataException>(aloneError);
        Assert.IsType<FitDataException>(besideError);
        Assert.Equal(aloneAt, besideAt);
        Assert.Equal(aloneError!.Message, besideError!.Message);
        Assert.Contains("S042", besideError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AReferenceThatIsNotFiniteIsRefusedAtTheWindowItIsTakenWithOrWithoutAWorker()
    {
        var options = new EuclideanAlignmentOptions { WarmupWindows = 3, UpdateEveryWindows = 4 };
        var windows = Moments(1, count: 12, seed: 6);
        windows[6] = windows[6].Select((v, i) => i == 9 ? double.NaN : v).ToArray();
        var (aloneAt, aloneError) = FirstRefusal(new OnlineEuclideanAlignment("S", Channels, options), windows);
        using var worker = new AlignmentWorker();
        var (besideAt, besideError) = FirstRefusal(new OnlineEuclideanAlignment("S", Channels, options, worker: worker), windows);
        Assert.IsType<ArgumentException>(aloneError);
        Assert.IsType<ArgumentException>(besideError);
        Assert.Equal(aloneAt, besideAt);
        Assert.Equal(aloneError!.Message, besideError!.Message);
    }

    [Fact]
    public void AnAlignmentWhoseWorkerIsDisposedComputesItsRecomputationsItself()
    {
        var options = new EuclideanAlignmentOptions { WarmupWindows = 4, UpdateEveryWindows = 3 };
        var windows = Moments(2, count: 40, seed: 7);
        var alone = new OnlineEuclideanAlignment("S", Channels, options, bands: 2);
        var worker = new AlignmentWorker();
        var beside = new OnlineEuclideanAlignment("S", Channels, options, bands: 2, worker: worker);
        for (int k = 0; k < windows.Count; k++)
        {
            if (k == 20)
            {
                // Mid-way, with a recomputation possibly posted: it is finished, and the next ones run here.
                worker.Dispose();
            }

            alone.Observe(windows[k]);
            beside.Observe(windows[k]);
            Assert.Equal(alone.Whitening.ToArray(), beside.Whitening.ToArray());
        }

        long done = worker.Completed;
        Assert.True(done > 0);
        worker.Dispose();
        Assert.Equal(done, worker.Completed);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // gaps: the stream restarts now and then, realignments under way are not used
    public void TheStreamingVariancesAreTheSameBitForBitWithAWorker(bool gaps)
    {
        const int bands = 3, length = 64, stride = 4;
        var options = new EuclideanAlignmentOptions { WarmupWindows = 5, UpdateEveryWindows = 3 };
        var random = new Random(11);
        int width = bands * Channels, count = 1500;
        var samples = new double[count * width];
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = Signals.Gaussian(random) * (1 + (i % width));
        }

        using var worker = new AlignmentWorker();
        var alone = Variances(new OnlineEuclideanAlignment("S", Channels, options, bands: bands), samples, bands, length, stride, gaps);
        var beside = Variances(new OnlineEuclideanAlignment("S", Channels, options, bands: bands, worker: worker), samples, bands, length, stride, gaps);
        Assert.Equal(alone.Count, beside.Count);
        Assert.True(alone.Count > (gaps ? 150 : 300), $"{alone.Count} windows");
        for (int w = 0; w < alone.Count; w++)
        {
            Assert.Equal(alone[w], beside[w]);
        }

        Assert.True(worker.Completed > 100, $"{worker.Completed} recomputations on the worker");
    }

    [Fact]
    public void APostedActionRunsOnTheWorkersThreadAndItsFailureDoesNotStopIt()
    {
        using var worker = new AlignmentWorker("test-alignment");
        using var ran = new ManualResetEventSlim();
        string? name = null;
        worker.Post(() => throw new InvalidOperationException("a refused scheduling policy"));
        worker.Post(() =>
        {
            name = Thread.CurrentThread.Name;
            ran.Set();
        });
        Assert.True(ran.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal("test-alignment", name);
    }

    private static List<double[]> Variances(OnlineEuclideanAlignment alignment, double[] samples, int bands, int length, int stride, bool gaps)
    {
        var sink = new Collector();
        var stage = new SlidingVariances(bands, Channels, length, stride, alignment, sink);
        int width = bands * Channels;
        var history = new SignalHistory(width, length + 200);
        var chunks = new Random(3);
        for (int done = 0; done < samples.Length / width;)
        {
            int n = Math.Min(chunks.Next(1, 40), (samples.Length / width) - done);
            if (gaps && chunks.Next(12) == 0)
            {
                // A gap of a few samples: the history starts again further on, the windows across it are dropped.
                history.Restart(history.EndIndex + chunks.Next(1, 50));
            }

            history.Append(samples.AsSpan(done * width, n * width), n);
            stage.OnAppended(history);
            done += n;
        }

        return sink.Windows;
    }

    private static (int At, Exception? Error) FirstRefusal(OnlineEuclideanAlignment alignment, List<double[]> windows)
    {
        for (int k = 0; k < windows.Count; k++)
        {
            try
            {
                alignment.Observe(windows[k]);
            }
            catch (Exception e) when (e is FitDataException or ArgumentException)
            {
                return (k, e);
            }
        }

        return (-1, null);
    }

    /// <summary>Second moments X·Xᵀ/L of random mixtures, one n × n block per band, per window.</summary>
    private static List<double[]> Moments(int bands, int count, int seed)
    {
        var random = new Random(seed);
        const int samples = 64;
        var result = new List<double[]>();
        for (int k = 0; k < count; k++)
        {
            var moments = new double[bands * Channels * Channels];
            for (int b = 0; b < bands; b++)
            {
                var x = new double[Channels * samples];
                for (int i = 0; i < x.Length; i++)
                {
                    x[i] = Signals.Gaussian(random) * (1 + (i / samples));
                }

                SpatialCovariance.SecondMoment(x, Channels, samples).CopyTo(moments, b * Channels * Channels);
            }

            result.Add(moments);
        }

        return result;
    }

    private sealed class Collector : IWindowVarianceSink
    {
        public List<double[]> Windows { get; } = [];

        public void OnWindow(long startSample, ReadOnlySpan<double> variances) => Windows.Add(variances.ToArray());
    }
}
