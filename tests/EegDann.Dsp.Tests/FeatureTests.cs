using EegDann.Core;
using EegDann.Dsp.Features;
using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Tests;

public sealed class FeatureTests
{
    private static readonly string[] Names = ["C3", "Cz", "C4"];

    [Fact]
    public void LogVarianceIsTheNaturalLogOfThePopulationVariancePerChannel()
    {
        var window = ChannelMajorNoise(3, 320, seed: 1, offset: 5);
        var featurizer = new WindowFeaturizer(3, 320, 160, [new LogVarianceFeatures(Names)], null);
        var features = new double[3];
        featurizer.Compute(window, [], features);
        for (int c = 0; c < 3; c++)
        {
            var x = window.AsSpan(c * 320, 320).ToArray();
            double mean = x.Average();
            double variance = x.Sum(v => (v - mean) * (v - mean)) / x.Length;
            Assert.Equal(Math.Log(variance), features[c], 12);
        }

        Assert.Equal(["logvar_C3", "logvar_Cz", "logvar_C4"], featurizer.FeatureNames);
    }

    [Fact]
    public void VariancesAreBitIdenticalToTheCovarianceDiagonalWhicheverIsComputedFirst()
    {
        var window = ChannelMajorNoise(7, 301, seed: 4, offset: -3);
        var first = new WindowContext(7, 301, 160);
        first.Load(window);
        var variances = first.Variances.ToArray();
        var second = new WindowContext(7, 301, 160);
        second.Load(window);
        var cov = second.Covariance;
        Assert.Equal(Enumerable.Range(0, 7).Select(c => cov[(c * 7) + c]), variances);
    }

    [Fact]
    public void LogVarianceOfAnAlignedWindowEqualsLogVarianceOfTheWhitenedSamples()
    {
        const int n = 3, samples = 320;
        var window = ChannelMajorNoise(n, samples, seed: 2, offset: 0);
        var w = LinearAlgebraTests.RandomSpd(n, 9);
        var featurizer = new WindowFeaturizer(n, samples, 160, [new LogVarianceFeatures(Names)], null);
        var features = new double[n];
        featurizer.Compute(window, w, features);

        var aligned = new double[n * samples];
        Matrices.Multiply(w, window, aligned, n, n, samples);
        for (int c = 0; c < n; c++)
        {
            var x = aligned.AsSpan(c * samples, samples).ToArray();
            double mean = x.Average();
            Assert.Equal(Math.Log(x.Sum(v => (v - mean) * (v - mean)) / samples), features[c], 11);
        }

        Assert.Equal(aligned, featurizer.Context.AlignedSamples.ToArray());
    }

    [Fact]
    public void BandPowerOfASinusoidIsHalfItsSquaredAmplitudeInItsBandAndNearZeroElsewhere()
    {
        const double fs = 160, amplitude = 10;
        const int samples = 320;
        var window = new double[samples];
        for (int n = 0; n < samples; n++)
        {
            window[n] = amplitude * Math.Sin(2 * Math.PI * 10 * n / fs);
        }

        var extractor = new BandPowerFeatures(["C3"], samples, fs, [new FrequencyBand(8, 12), new FrequencyBand(18, 26)], log: false);
        var featurizer = new WindowFeaturizer(1, samples, fs, [extractor], null);
        var power = new double[2];
        featurizer.Compute(window, [], power);
        Assert.Equal(amplitude * amplitude / 2, power[0], 0.02 * amplitude * amplitude / 2);
        Assert.True(power[1] < 1e-3 * power[0]);
        Assert.Equal(["bp8_12_C3", "bp18_26_C3"], extractor.FeatureNames);
    }

    [Fact]
    public void BandPowerRefusesABandAboveNyquist()
    {
        var e = Assert.Throws<ArgumentException>(() => new BandPowerFeatures(Names, 320, 160, [new FrequencyBand(70, 90)], log: true));
        Assert.Contains("70–90 Hz", e.Message);
    }

    [Fact]
    public void CspFindsTheChannelWhosePowerDiffersBetweenClasses()
    {
        // Class "left": channel 0 strong; class "right": channel 2 strong.
        var covariances = new List<double[]>();
        var labels = new List<string>();
        var random = new Random(3);
        for (int e = 0; e < 60; e++)
        {
            bool left = e % 2 == 0;
            var gains = left ? new[] { 4.0, 1, 1 } : new[] { 1.0, 1, 4 };
            var window = ChannelMajorNoise(3, 200, seed: random.Next(), offset: 0);
            for (int c = 0; c < 3; c++)
            {
                for (int s = 0; s < 200; s++)
                {
                    window[(c * 200) + s] *= gains[c];
                }
            }

            var ctx = new WindowContext(3, 200, 160);
            ctx.Load(window);
            covariances.Add((double[])ctx.Covariance.Clone());
            labels.Add(left ? "left" : "right");
        }

        var fit = Csp.Fit(covariances, labels, 3, components: 2);
        Assert.Equal(["left", "right"], fit.Classes);
        Assert.True(Math.Abs(fit.Eigenvalues[0] - 0.5) >= Math.Abs(fit.Eigenvalues[1] - 0.5));
        Assert.True(Math.Abs(fit.Eigenvalues[0] - 0.5) > 0.3, $"first eigenvalue {fit.Eigenvalues[0]}");

        var extractor = new CspFeatures(fit);
        var ctxLeft = new WindowContext(3, 200, 160);
        double meanLeft = 0, meanRight = 0;
        var f = new double[2];
        for (int i = 0; i < covariances.Count; i++)
        {
            ctxLeft.LoadCovariance(covariances[i]);
            extractor.Extract(ctxLeft, f);
            if (labels[i] == "left")
            {
                meanLeft += f[0];
            }
            else
            {
                meanRight += f[0];
            }
        }

        Assert.True(Math.Abs(meanLeft - meanRight) / 30 > 1, "the first CSP feature separates the classes");
    }

    [Fact]
    public void CspRefusesASingleClassNamingIt()
    {
        var cov = Matrices.Identity(3);
        var e = Assert.Throws<FitDataException>(() => Csp.Fit([cov, cov, cov], ["feet", "feet", "feet"], 3, 2));
        Assert.Contains("at least two classes", e.Message);
        Assert.Contains("feet", e.Message);
    }

    [Fact]
    public void OneVsRestCspGivesEachOfThreeClassesItsOwnFiltersAndEachFirstFilterFindsItsClasssChannel()
    {
        // Class i makes channel i four times stronger; each class's first one-vs-rest filter must
        // weigh that channel most and favour its class (λ near 1).
        string[] names = ["feet", "left", "right"];
        var covariances = new List<double[]>();
        var labels = new List<string>();
        var random = new Random(5);
        for (int e = 0; e < 90; e++)
        {
            int k = e % 3;
            var window = ChannelMajorNoise(4, 200, seed: random.Next(), offset: 0);
            for (int s = 0; s < 200; s++)
            {
                window[(k * 200) + s] *= 4;
            }

            var ctx = new WindowContext(4, 200, 160);
            ctx.Load(window);
            covariances.Add((double[])ctx.Covariance.Clone());
            labels.Add(names[k]);
        }

        var fit = Csp.Fit(covariances, labels, 4, components: 2);

        Assert.Equal(names, fit.Classes);
        Assert.Equal(3 * 2, fit.ComponentCount);
        Assert.Equal(3 * 2 * 4, fit.Filters.Length);
        Assert.Equal(6, new CspFeatures(fit).FeatureNames.Count);
        for (int k = 0; k < 3; k++)
        {
            var first = fit.Filters.AsSpan(k * 2 * 4, 4).ToArray();
            int strongest = Array.IndexOf(first, first.MaxBy(Math.Abs));
            Assert.Equal(k, strongest);
            Assert.True(fit.Eigenvalues[k * 2] > 0.8, $"class {names[k]}: first eigenvalue {fit.Eigenvalues[k * 2]}");
        }
    }

    [Fact]
    public void CspOfTwoClassesIsTheTwoClassFitUnchanged()
    {
        var covs = Enumerable.Range(0, 8).Select(i => LinearAlgebraTests.RandomSpd(3, i)).ToList();
        string[] labels = ["a", "b", "a", "b", "a", "b", "a", "b"];
        var fit = Csp.Fit(covs, labels, 3, 2);
        var a = new double[9];
        var b = new double[9];
        for (int i = 0; i < 8; i++)
        {
            var target = labels[i] == "a" ? a : b;
            for (int j = 0; j < 9; j++)
            {
                target[j] += covs[i][j];
            }
        }

        for (int j = 0; j < 9; j++)
        {
            a[j] /= 4;
            b[j] /= 4;
        }

        var direct = Csp.FitFromClassMeans(a, b, ["a", "b"], 3, 2);
        Assert.Equal(direct.Filters, fit.Filters);
        Assert.Equal(direct.Eigenvalues, fit.Eigenvalues);
    }

    [Fact]
    public void TangentVectorOfTheReferenceIsZeroAndOfAScaledReferenceIsLogScaleOnTheDiagonal()
    {
        const int n = 4;
        var covs = Enumerable.Range(0, 12).Select(i => LinearAlgebraTests.RandomSpd(n, i)).ToList();
        foreach (var metric in new[] { TangentSpaceMetric.Riemann, TangentSpaceMetric.LogEuclid })
        {
            var fit = TangentSpace.Fit(covs, n, metric);
            var extractor = new TangentSpaceFeatures(fit, ["a", "b", "c", "d"]);
            var ctx = new WindowContext(n, 10, 160);
            var v = new double[10];
            ctx.LoadCovariance(fit.Reference);
            extractor.Extract(ctx, v);
            Assert.All(v, x => Assert.Equal(0, x, 9));

            ctx.LoadCovariance(fit.Reference.Select(x => 2 * x).ToArray());

            extractor.Extract(ctx, v);
            Assert.Equal(Math.Log(2), v[0], 9);
            Assert.Equal(0, v[1], 9);
            Assert.Equal("ts_a_b", extractor.FeatureNames[1]);
        }
    }

    [Fact]
    public void RiemannianMeanMakesTheMeanTangentVectorZero()
    {
        const int n = 5;
        var covs = Enumerable.Range(0, 20).Select(i => LinearAlgebraTests.RandomSpd(n, 100 + i)).ToList();
        var fit = TangentSpace.Fit(covs, n, TangentSpaceMetric.Riemann, tolerance: 1e-12);
        var extractor = new TangentSpaceFeatures(fit, ["a", "b", "c", "d", "e"]);
        var ctx = new WindowContext(n, 10, 160);
        var sum = new double[15];
        var v = new double[15];
        foreach (var c in covs)
        {
            ctx.LoadCovariance(c);
            extractor.Extract(ctx, v);
            for (int i = 0; i < 15; i++)
            {
                sum[i] += v[i] / covs.Count;
            }
        }

        Assert.All(sum, x => Assert.Equal(0, x, 8));
    }

    [Fact]
    public void StandardizationFittedOnRowsGivesZeroMeanAndUnitVariance()
    {
        var rows = new double[] { 1, 10, 3, 10, 5, 10 };
        var fit = StandardizationFit.Fit(rows, 2);
        Assert.Equal([3.0, 10.0], fit.Mean);
        Assert.Equal(1.0, fit.Scale[1]);
        var row = new double[] { 5, 10 };
        fit.Apply(row);
        Assert.Equal(Math.Sqrt(1.5), row[0], 12);
        Assert.Equal(0, row[1]);
    }

    internal static double[] ChannelMajorNoise(int channels, int samples, int seed, double offset)
    {
        var random = new Random(seed);
        var data = new double[channels * samples];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = offset + (20 * Signals.Gaussian(random));
        }

        return data;
    }
}
