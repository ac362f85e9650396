using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Tests;

public sealed class AlignmentTests
{
    private const int Channels = 8;
    private const int Samples = 320;

    [Fact]
    public void EachSubjectsAlignedEpochsHaveMeanCovarianceEqualToTheIdentity()
    {
        foreach (int subject in new[] { 1, 2, 3 })
        {
            var epochs = SubjectEpochs(subject, count: 40);
            var fit = EuclideanAlignment.Fit($"S{subject:000}", epochs, Channels, new EuclideanAlignmentOptions());
            var mean = new double[Channels * Channels];
            foreach (var epoch in epochs)
            {
                var aligned = EuclideanAlignment.Apply(fit, epoch);
                var m = SpatialCovariance.SecondMoment(aligned, Channels, Samples);
                for (int i = 0; i < mean.Length; i++)
                {
                    mean[i] += m[i] / epochs.Count;
                }
            }

            for (int i = 0; i < Channels; i++)
            {
                for (int j = 0; j < Channels; j++)
                {
                    Assert.Equal(i == j ? 1.0 : 0.0, mean[(i * Channels) + j], 10);
                }
            }
        }
    }

    [Fact]
    public void StreamingEstimateEqualsTheBatchFitOverTheSameWindowsAndConvergesToTheSubjectsReference()
    {
        var options = new EuclideanAlignmentOptions { WarmupWindows = 10, UpdateEveryWindows = 5 };
        var windows = SubjectEpochs(subject: 7, count: 400);
        var batch = EuclideanAlignment.Fit("S007", windows, Channels, options);
        var online = new OnlineEuclideanAlignment("S007", Channels, options);
        var distances = new List<double>();
        for (int k = 0; k < windows.Count; k++)
        {
            online.Observe(SpatialCovariance.SecondMoment(windows[k], Channels, Samples));
            Assert.Equal(k + 1 >= 10, online.IsWarm);
            if (online.IsWarm)
            {
                distances.Add(Distance(online.Whitening, batch.Whitening));
            }
        }

        online.Update();
        Assert.True(Distance(online.Whitening, batch.Whitening) < 1e-12, "after the same windows the running estimate is the batch one");
        Assert.True(distances[^2] < distances[0] / 4, $"the estimate converges: {distances[0]:E3} at warm-up, {distances[^2]:E3} near the end");
    }

    [Theory]
    [InlineData(3, 6)] // offsets 2, 4, 6: one band per window at most
    [InlineData(5, 16)] // the default filter bank and period: offsets 4, 7, 10, 13, 16
    [InlineData(1, 5)] // one band: every 5 windows, as before the bands took turns
    [InlineData(4, 2)] // more bands than windows in a period: two bands per window
    public void TheBandsAreRecomputedInTurnEachEveryPeriodAndEachEqualsTheBatchFitWhenItIs(int bands, int period)
    {
        const int warmup = 4;
        var options = new EuclideanAlignmentOptions { WarmupWindows = warmup, UpdateEveryWindows = period };
        var perBand = Enumerable.Range(0, bands).Select(b => SubjectEpochs(subject: 20 + b, count: 60)).ToArray();
        var online = new OnlineEuclideanAlignment("S", Channels, options, bands: bands);
        int block = Channels * Channels;
        var moments = new double[bands * block];
        var seen = new long[bands];
        for (int k = 1; k <= 60; k++)
        {
            for (int b = 0; b < bands; b++)
            {
                SpatialCovariance.SecondMoment(perBand[b][k - 1], Channels, Samples).CopyTo(moments, b * block);
            }

            online.Observe(moments);
            for (int b = 0; b < bands; b++)
            {
                int offset = (((b + 1) * period) + bands - 1) / bands;
                bool due = k == warmup || (k > warmup && (k - warmup - offset) >= 0 && (k - warmup - offset) % period == 0);
                Assert.True(due == (online.UpdatesOf(b) != seen[b]), $"band {b} after {k} windows: due {due}, recomputed {online.UpdatesOf(b) != seen[b]}");
                if (due)
                {
                    // The band recomputed now is the batch fit over its windows so far.
                    var batch = EuclideanAlignment.Fit("S", perBand[b].Take(k).ToList(), Channels, options);
                    Assert.True(Distance(online.Whitening.Slice(b * block, block), batch.Whitening) < 1e-12, $"band {b} after {k} windows");
                }

                seen[b] = online.UpdatesOf(b);
            }
        }

        // Each band: once at the end of the warm-up, then at its offset and every period after it
        // over the 56 windows that follow (so no band is left behind, whatever the number of bands).
        for (int b = 0; b < bands; b++)
        {
            int offset = (((b + 1) * period) + bands - 1) / bands;
            Assert.Equal(2 + ((56 - offset) / period), seen[b]);
        }
    }

    [Fact]
    public void WhiteningStaysTheIdentityDuringWarmupWithoutAPrior()
    {
        var online = new OnlineEuclideanAlignment("S001", Channels, new EuclideanAlignmentOptions { WarmupWindows = 5, UpdateEveryWindows = 2 });
        foreach (var w in SubjectEpochs(1, 4))
        {
            online.Observe(SpatialCovariance.SecondMoment(w, Channels, Samples));
        }

        Assert.False(online.IsWarm);
        Assert.Equal(Matrices.Identity(Channels), online.Whitening.ToArray());
    }

    [Fact]
    public void APriorMakesTheAlignmentWarmAtOnceAndIsUsedUntilTheFirstUpdate()
    {
        var prior = EuclideanAlignment.Fit("S001", SubjectEpochs(1, 30), Channels, new EuclideanAlignmentOptions());
        var online = new OnlineEuclideanAlignment("S001", Channels, new EuclideanAlignmentOptions(), prior);
        Assert.True(online.IsWarm);
        Assert.Equal(prior.Whitening, online.Whitening.ToArray());
    }

    [Fact]
    public void ARankDeficientReferenceIsRefusedWithAHintUnlessShrunk()
    {
        // Common average reference: the channels sum to zero, the covariance is singular.
        var epochs = SubjectEpochs(2, 20).Select(Car).ToList();
        var e = Assert.Throws<FitDataException>(() => EuclideanAlignment.Fit("S002", epochs, Channels, new EuclideanAlignmentOptions()));
        Assert.Contains("S002", e.Message);
        Assert.Contains("shrinkage", e.Message);
        var fit = EuclideanAlignment.Fit("S002", epochs, Channels, new EuclideanAlignmentOptions { Shrinkage = 0.01 });
        Assert.All(fit.Whitening, v => Assert.True(double.IsFinite(v)));
    }

    /// <summary>Epochs of a subject: noise mixed by a subject-specific matrix (a different "head").</summary>
    internal static List<double[]> SubjectEpochs(int subject, int count)
    {
        var random = new Random(1000 + subject);
        var mixing = new double[Channels * Channels];
        for (int i = 0; i < mixing.Length; i++)
        {
            mixing[i] = Signals.Gaussian(random) + (i % (Channels + 1) == 0 ? 3 : 0);
        }

        var epochs = new List<double[]>();
        for (int e = 0; e < count; e++)
        {
            var sources = new double[Channels * Samples];
            for (int i = 0; i < sources.Length; i++)
            {
                sources[i] = 10 * Signals.Gaussian(random);
            }

            var x = new double[Channels * Samples];
            Matrices.Multiply(mixing, sources, x, Channels, Channels, Samples);
            epochs.Add(x);
        }

        return epochs;
    }

    private static double[] Car(double[] epoch)
    {
        var result = (double[])epoch.Clone();
        for (int s = 0; s < Samples; s++)
        {
            double mean = 0;
            for (int c = 0; c < Channels; c++)
            {
                mean += epoch[(c * Samples) + s] / Channels;
            }

            for (int c = 0; c < Channels; c++)
            {
                result[(c * Samples) + s] -= mean;
            }
        }

        return result;
    }

    private static double Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0, norm = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += (a[i] - b[i]) * (a[i] - b[i]);
            norm += b[i] * b[i];
        }

        return Math.Sqrt(s / norm);
    }
}
