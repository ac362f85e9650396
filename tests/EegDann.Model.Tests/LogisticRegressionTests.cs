using System.Text.Json;
using EegDann.TestSupport;

namespace EegDann.Model.Tests;

public sealed class LogisticRegressionTests
{
    [Fact]
    public void LogisticRegressionReachesTheOptimumOfScikitLearnsL2ObjectiveWithMoreAndWithFewerFeaturesThanSamples()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("golden", "logreg_golden.json")));
        foreach (var golden1 in golden.RootElement.GetProperty("cases").EnumerateArray())
        {
            int p = golden1.GetProperty("features").GetInt32();
            var rows = golden1.GetProperty("x").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();
            var labels = golden1.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToArray();

            var model = LogisticRegression.Fit(rows, p, labels, golden1.GetProperty("c").GetDouble());

            var coef = golden1.GetProperty("coef").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int j = 0; j < p; j++)
            {
                Assert.True(Math.Abs(model.Weights[j] - coef[j]) <= 1e-8 * Math.Max(1, Math.Abs(coef[j])), $"{p} features, coefficient {j}: {model.Weights[j]} vs {coef[j]}");
            }

            Assert.Equal(golden1.GetProperty("intercept").GetDouble(), model.Intercept, 8);
            var decision = golden1.GetProperty("decision").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int i = 0; i < labels.Length; i++)
            {
                Assert.Equal(decision[i], model.Decision(rows.AsSpan(i * p, p)), 7);
            }

            Assert.Equal(decision.Select(v => v > 0 ? 1 : 0), model.Predict(rows));
        }
    }

    [Fact]
    public void LogisticRegressionRefusesOneClassLabelsOtherThanZeroAndOneAndNonFiniteValues()
    {
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit(new double[4], 2, [0, 0]));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit(new double[4], 2, [0, 2]));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit([1, double.NaN, 0, 1], 2, [0, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogisticRegression.Fit([1, 0, 0, 1], 2, [0, 1], c: 0));
    }
}
