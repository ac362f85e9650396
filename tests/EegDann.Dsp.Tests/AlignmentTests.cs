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
    [InlineData(3, 6)] // due at 2, 4, 6: the parts of two bands never share a window
    [InlineData(5, 16)] // the default filter bank and period: due at 4, 7, 10, 13, 16, one part per window at most
    [InlineData(1, 5)] // one band
    [InlineData(4, 2)] // more bands than windows in a period
    [InlineData(2, 1)] // every band due at every window: the previous recomputation is finished first
    public void TheBandsAreRecomputedInTurnOverThreeWindowsEachEqualToTheBatchFitAsOfWhenItWasDue(int bands, int period)
    {
        const int warmup = 4, windows = 60;
        var options = new EuclideanAlignmentOptions { WarmupWindows = warmup, UpdateEveryWindows = period };
        var perBand = Enumerable.Range(0, bands).Select(b => SubjectEpochs(subject: 20 + b, count: windows)).ToArray();
        var online = new OnlineEuclideanAlignment("S", Channels, options, bands: bands);
        int block = Channels * Channels;
        int late = Math.Min(2, period);
        var moments = new double[bands * block];
        var seen = new long[bands];
        var expected = new long[bands];
        for (int k = 1; k <= windows; k++)
        {
            for (int b = 0; b < bands; b++)
            {
                SpatialCovariance.SecondMoment(perBand[b][k - 1], Channels, Samples).CopyTo(moments, b * block);
            }

            online.Observe(moments);
            for (int b = 0; b < bands; b++)
            {
                // Due at the end of the warm-up (in use at once), then at its offset and every period
                // after it (in use `late` windows later, computed from the windows up to when it was due).
                int offset = (((b + 1) * period) + bands - 1) / bands;
                int due = k - late;
                bool inUse = k == warmup || (due > warmup && (due - warmup - offset) >= 0 && (due - warmup - offset) % period == 0);
                bool recomputed = online.UpdatesOf(b) != seen[b];
                Assert.True(inUse == recomputed, $"band {b} after {k} windows: expected {inUse}, recomputed {recomputed}");
                if (inUse)
                {
                    expected[b]++;
                    var batch = EuclideanAlignment.Fit("S", perBand[b].Take(k == warmup ? k : due).ToList(), Channels, options);
                    Assert.True(Distance(online.Whitening.Slice(b * block, block), batch.Whitening) < 1e-12, $"band {b} after {k} windows");
                }

                seen[b] = online.UpdatesOf(b);
            }
        }

        // Every band had its turns: once at the end of the warm-up, then every period.
        for (int b = 0; b < bands; b++)
        {
            Assert.Equal(expected[b], seen[b]);
            Assert.True(seen[b] >= 1 + ((windows - warmup - late - period) / period), $"band {b}: {seen[b]} recomputations");
        }
    }

    [Fact]
    public void AnExplicitUpdateRecomputesEveryBandAtOnceAndDropsTheRecomputationsUnderWay()
    {
        var options = new EuclideanAlignmentOptions { WarmupWindows = 4, UpdateEveryWindows = 16 };
        var perBand = Enumerable.Range(0, 5).Select(b => SubjectEpochs(subject: 30 + b, count: 10)).ToArray();
        var online = new OnlineEuclideanAlignment("S", Channels, options, bands: 5);
        int block = Channels * Channels;
        var moments = new double[5 * block];
        for (int k = 1; k <= 9; k++)
        {
            for (int b = 0; b < 5; b++)
            {
                SpatialCovariance.SecondMoment(perBand[b][k - 1], Channels, Samples).CopyTo(moments, b * block);
            }

            online.Observe(moments);
        }

        // Band 0 became due after 8 windows (4 after the warm-up) and is under way.
        Assert.Equal(1, online.UpdatesOf(0));
        online.Update();
        for (int b = 0; b < 5; b++)
        {
            Assert.Equal(2, online.UpdatesOf(b));
            var batch = EuclideanAlignment.Fit("S", perBand[b].Take(9).ToList(), Channels, options);
            // The batch fit's solver sums in another order (calibration's EISPACK loop order): rounding apart.
            Assert.True(Distance(online.Whitening.Slice(b * block, block), batch.Whitening) < 1e-10, $"band {b}: {Distance(online.Whitening.Slice(b * block, block), batch.Whitening):E3}");
        }

        // The one under way was dropped: it does not land in the next window, when it would have.
        for (int b = 0; b < 5; b++)
        {
            SpatialCovariance.SecondMoment(perBand[b][9], Channels, Samples).CopyTo(moments, b * block);
        }

        online.Observe(moments);

        Assert.All(Enumerable.Range(0, 5), b => Assert.Equal(2, online.UpdatesOf(b)));
    }

    [Fact]
    public void SlidingWindowsObservedByTheSamplesTheyBringGiveTheSecondMomentOfEverySampleTheyCover()
    {
        // A continuous signal (two epochs end to end), cut into windows of 64 sliding by 16: the first window brings its 64
        // samples, each next one its last 16.
        var options = new EuclideanAlignmentOptions { WarmupWindows = 3, UpdateEveryWindows = 2 };
        var epochs = SubjectEpochs(subject: 9, count: 2);
        const int total = 2 * Samples, length = 64, stride = 16;
        var signal = new double[Channels * total];
        for (int c = 0; c < Channels; c++)
        {
            for (int epoch = 0; epoch < 2; epoch++)
            {
                epochs[epoch].AsSpan(c * Samples, Samples).CopyTo(signal.AsSpan((c * total) + (epoch * Samples), Samples));
            }
        }

        var prior = EuclideanAlignment.Fit("S", SubjectEpochs(subject: 3, count: 20), Channels, options);
        var online = new OnlineEuclideanAlignment("S", Channels, options);
        var blended = new OnlineEuclideanAlignment("S", Channels, options, prior, priorWeightWindows: 5);
        var window = new double[Channels * length];
        var scratch = new double[length * Channels];
        int windows = 0;
        for (int start = 0; start + length <= total; start += stride)
        {
            for (int c = 0; c < Channels; c++)
            {
                signal.AsSpan((c * total) + start, length).CopyTo(window.AsSpan(c * length, length));
            }

            int from = start == 0 ? 0 : length - stride;
            int count = OuterProducts.ToSampleMajor(window, Channels, length, from, scratch);
            online.Accumulate(0, scratch, count);
            online.Observe(count);
            blended.Accumulate(0, scratch, count);
            blended.Observe(count);
            windows++;

            // Every sample from 0 to the window's end, once each.
            int end = start + length;
            var expected = new double[Channels * Channels];
            for (int i = 0; i < Channels; i++)
            {
                for (int j = 0; j < Channels; j++)
                {
                    double sum = 0;
                    for (int k = 0; k < end; k++)
                    {
                        sum += signal[(i * total) + k] * signal[(j * total) + k];
                    }

                    expected[(i * Channels) + j] = sum / end;
                }
            }

            var reference = online.Snapshot().Reference;
            var mixed = blended.Snapshot().Reference;
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i], reference[i], 1e-9 * Math.Abs(expected[i]) + 1e-12);
                double weighted = ((5 * prior.Reference[i]) + (windows * expected[i])) / (5 + windows);
                Assert.Equal(weighted, mixed[i], 1e-9 * Math.Abs(weighted) + 1e-12);
            }
        }

        Assert.Equal(total / stride - (length / stride) + 1, (int)online.WindowCount);
        var e = Assert.Throws<ArgumentException>(() => online.Observe(new double[(Channels * Channels) - 1], 1));
        Assert.Contains("64 values", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => online.Observe(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => online.Accumulate(1, scratch, 1));
    }

    [Fact]
    public void AWindowsSecondMomentObservedWholeIsItsOuterProductsOverOneSample()
    {
        // Observe(moment) is Observe(moment, 1): epochs that do not overlap average their second moments, bit for bit.
        var options = new EuclideanAlignmentOptions { WarmupWindows = 3, UpdateEveryWindows = 2 };
        var whole = new OnlineEuclideanAlignment("S", Channels, options);
        var counted = new OnlineEuclideanAlignment("S", Channels, options);
        foreach (var window in SubjectEpochs(subject: 9, count: 12))
        {
            var moment = SpatialCovariance.SecondMoment(window, Channels, Samples);
            whole.Observe(moment);
            counted.Observe(moment, 1);
            Assert.Equal(whole.Whitening.ToArray(), counted.Whitening.ToArray());
        }

        Assert.Equal(whole.Snapshot().Reference, counted.Snapshot().Reference);
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
