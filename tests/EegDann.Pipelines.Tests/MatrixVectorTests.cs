using EegDann.Dsp.LinearAlgebra;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.TestSupport;
using Xunit.Abstractions;

namespace EegDann.Pipelines.Tests;

public sealed class MatrixVectorTests(ITestOutputHelper output)
{
    [Fact]
    public void AligningFilteredEegInPairsEqualsOneSampleAtATimeBitForBitAndTheTextbookProductToRounding()
    {
        // Real data: S001R04 through mi-fb-dann's filter bank, aligned with S001's own fitted R^-1/2 per band.
        var recording = RealRecordings.Read("S001", "R04");
        var definition = PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json"));
        var signal = SignalPipeline.Create(definition);
        var epochs = signal.ExtractEpochs(recording).Epochs;
        var alignment = FeaturePipeline.FitAlignment(signal, epochs);
        int n = alignment.ChannelCount, bands = alignment.Bands;
        Assert.Equal((64, 5), (n, bands));

        var x0 = new double[n];
        var x1 = new double[n];
        var pair0 = new double[n];
        var pair1 = new double[n];
        var one0 = new double[n];
        var one1 = new double[n];
        double worst = 0;
        long products = 0;
        foreach (var epoch in epochs.Epochs.Take(4))
        {
            int length = epoch.SampleCount;
            for (int b = 0; b < bands; b++)
            {
                var w = alignment.BandWhitening(b);
                for (int s = 0; s + 1 < length; s += 2)
                {
                    for (int c = 0; c < n; c++)
                    {
                        // Channel-major epochs, band-major channels.
                        x0[c] = epoch.Data[(((b * n) + c) * length) + s];
                        x1[c] = epoch.Data[(((b * n) + c) * length) + s + 1];
                    }

                    MatrixVector.MultiplyPair(w, x0, x1, pair0, pair1, n);
                    MatrixVector.Multiply(w, x0, one0, n);
                    MatrixVector.Multiply(w, x1, one1, n);
                    Assert.Equal(one0, pair0);
                    Assert.Equal(one1, pair1);
                    worst = Math.Max(worst, Math.Max(TextbookDifference(w, x0, pair0, n), TextbookDifference(w, x1, pair1, n)));
                    products += 2;
                }
            }
        }

        output.WriteLine($"{products} aligned band-samples of S001R04: pairs equal single products bit for bit; worst difference to the textbook sum {worst:E3} of Σ|w·x|");
        Assert.True(worst <= 1e-13, $"worst scaled difference {worst:E3}");
    }

    [Theory]
    [InlineData(320)]
    [InlineData(317)]
    [InlineData(3)]
    public void FourDotProductsInOnePassEqualMatricesDotBitForBitOnFilteredEeg(int length)
    {
        // Rows of a real filtered window (S002R08, mi-logvar's 8-30 Hz band-pass), as the covariance pairs them.
        var recording = RealRecordings.Read("S002", "R08");
        var signal = SignalPipeline.Create(RealRecordings.MiLogVar);
        var window = signal.ExtractWindows(recording).Epochs[100];
        int n = window.Data.Length / window.SampleCount;
        ReadOnlySpan<double> Row(int c) => window.Data.AsSpan(c * window.SampleCount, length);
        var four = new double[4];
        for (int i = 0; i + 4 < n; i += 3)
        {
            MatrixVector.Dot4(Row(i), Row(i + 1), Row(i + 2), Row(i + 3), Row(i + 4), four);
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(Matrices.Dot(Row(i), Row(i + 1 + k)), four[k]);
            }
        }
    }

    [Fact]
    public void ShortSpansAreRefusedNamingTheSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => MatrixVector.MultiplyPair(new double[15], new double[4], new double[4], new double[4], new double[4], 4));
        Assert.Contains("16", e.Message);
    }

    /// <summary>|Σ_k w_rk·x_k (left to right, scalar) − y_r| / Σ_k |w_rk·x_k|, the largest over the rows.</summary>
    private static double TextbookDifference(ReadOnlySpan<double> w, double[] x, double[] y, int n)
    {
        double worst = 0;
        for (int r = 0; r < n; r++)
        {
            double sum = 0, scale = 0;
            for (int k = 0; k < n; k++)
            {
                sum += w[(r * n) + k] * x[k];
                scale += Math.Abs(w[(r * n) + k] * x[k]);
            }

            worst = Math.Max(worst, Math.Abs(sum - y[r]) / scale);
        }

        return worst;
    }
}
