using System.Text.Json;
using EegDann.TestSupport;

namespace EegDann.Model.Tests;

public sealed class ShrinkageLdaTests
{
    [Fact]
    public void ShrinkageLdaMatchesScikitLearnsLsqrSolverWithLedoitWolfShrinkage()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("golden", "lda_golden.json")));
        var root = golden.RootElement;
        int p = root.GetProperty("features").GetInt32();
        var rows = root.GetProperty("x").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        var labels = root.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToArray();

        var lda = ShrinkageLda.Fit(rows, p, labels, 2);

        // scikit-learn reports two classes as one discriminant: class 1 minus class 0.
        var coef = root.GetProperty("coef").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int j = 0; j < p; j++)
        {
            double mine = lda.Weights[p + j] - lda.Weights[j];
            Assert.True(Math.Abs(mine - coef[j]) <= 1e-9 * Math.Max(1, Math.Abs(coef[j])), $"coefficient {j}: {mine} vs {coef[j]}");
        }

        Assert.Equal(root.GetProperty("intercept").GetDouble(), lda.Intercepts[1] - lda.Intercepts[0], 9);
        var decision = root.GetProperty("decision").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int i = 0; i < labels.Length; i++)
        {
            var d = lda.Decision(rows.AsSpan(i * p, p));
            Assert.Equal(decision[i], d[1] - d[0], 8);
        }

        Assert.Equal(root.GetProperty("predicted").EnumerateArray().Select(v => v.GetInt32()), lda.Predict(rows));
        Assert.All(lda.Shrinkage, s => Assert.InRange(s, 0.01, 0.99));
    }

    [Fact]
    public void AClassWithFewerThanTwoSamplesIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => ShrinkageLda.Fit(new double[6], 2, [0, 0, 1], 2));
        Assert.Contains("class 1 has 1 samples", e.Message);
    }
}
