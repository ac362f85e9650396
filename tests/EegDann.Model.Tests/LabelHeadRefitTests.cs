using System.Text.Json;
using EegDann.TestSupport;

namespace EegDann.Model.Tests;

public sealed class LabelHeadRefitTests
{
    private static readonly TrainingOptions Small = new()
    {
        Epochs = 20,
        BatchSize = 32,
        Extractor = new MlpExtractorSpec([8], 0.0),
        DomainHiddenSizes = [8],
        Method = TrainingMethod.SourceOnly,
        Seed = 3,
    };

    [Fact]
    public void WeightedLogisticRegressionWithUnitWeightsReachesScikitLearnsOptimum()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("golden", "logreg_golden.json")));
        foreach (var one in golden.RootElement.GetProperty("cases").EnumerateArray())
        {
            int p = one.GetProperty("features").GetInt32();
            var rows = one.GetProperty("x").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();
            var labels = one.GetProperty("y").EnumerateArray().Select(v => v.GetInt32() == 1 ? 1.0 : -1.0).ToArray();
            double c = one.GetProperty("c").GetDouble();

            // scikit-learn's ½‖w‖² + C·Σ loss is C times Σ loss + (1/C)/2 ‖w‖².
            var (coefficients, intercept) = LabelHeadRefit.WeightedLogistic(rows, p, labels, Enumerable.Repeat(1.0, labels.Length).ToArray(), 1 / c);

            var coef = one.GetProperty("coef").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int j = 0; j < p; j++)
            {
                Assert.True(Math.Abs(coefficients[j] - coef[j]) <= 1e-7 * Math.Max(1, Math.Abs(coef[j])), $"{p} features, coefficient {j}: {coefficients[j]} vs {coef[j]}");
            }

            Assert.Equal(one.GetProperty("intercept").GetDouble(), intercept, 7);
        }
    }

    [Fact]
    public void ARowOfWeightTwoCountsAsTheSameRowTwice()
    {
        var random = new Random(7);
        int n = 30, f = 3;
        var x = Enumerable.Range(0, n * f).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var y = Enumerable.Range(0, n).Select(i => x[i * f] + 0.5 * random.NextDouble() > 0.2 ? 1.0 : -1.0).ToArray();
        var weights = Enumerable.Range(0, n).Select(i => i < 5 ? 2.0 : 1.0).ToArray();
        var doubledX = x.Concat(x[..(5 * f)]).ToArray();
        var doubledY = y.Concat(y[..5]).ToArray();

        var weighted = LabelHeadRefit.WeightedLogistic(x, f, y, weights, 1.0);
        var repeated = LabelHeadRefit.WeightedLogistic(doubledX, f, doubledY, Enumerable.Repeat(1.0, n + 5).ToArray(), 1.0);

        for (int j = 0; j < f; j++)
        {
            Assert.Equal(repeated.Coefficients[j], weighted.Coefficients[j], 9);
        }

        Assert.Equal(repeated.Intercept, weighted.Intercept, 9);
    }

    [Fact]
    public void RefittingTheHeadOnAFewShiftedTargetEpochsKeepsTheExtractorAndMovesTheBoundaryToTheTarget()
    {
        // Source classes at x0 = ∓1; the target's at ∓1 + 0.9: the source's boundary (x0 = 0) misses most of the target's class 0.
        var (source, sourceLabels) = Synthetic.Gaussians(200, 4, seed: 1);
        var (target, targetLabels) = Synthetic.Gaussians(200, 4, seed: 2, shift: 0.9);
        var problem = new TrainingProblem(new LabeledSamples(source, sourceLabels), target, ["left", "right"]);
        using var trained = Trainers.Train(problem, Small).RequireModel();
        var given = Enumerable.Range(0, 10).ToArray();
        var labeled = new LabeledSamples(Rows(target, given), given.Select(i => targetLabels[i]).ToArray());
        var rest = Enumerable.Range(10, 190).ToArray();
        var scored = Rows(target, rest);
        var truth = rest.Select(i => targetLabels[i]).ToArray();

        using var refitted = LabelHeadRefit.Refit(trained, problem.Source, labeled, LabelHeadRefitKind.WeightedLogistic);

        Assert.Equal(trained.ExtractFeatures(scored).SelectMany(r => r), refitted.ExtractFeatures(scored).SelectMany(r => r));
        double before = Accuracy(trained.Predict(scored), truth);
        double after = Accuracy(refitted.Predict(scored), truth);
        Assert.True(before < 0.8, $"the shift should hurt the source's boundary: {before:F3}");
        Assert.True(after >= before + 0.1, $"{before:F3} → {after:F3}");
        Assert.Throws<ArgumentException>(() => LabelHeadRefit.Refit(trained, problem.Source, new LabeledSamples(Rows(target, [0, 2]), [0, 0]), LabelHeadRefitKind.WeightedLogistic));
    }

    private static SampleMatrix Rows(SampleMatrix samples, int[] indices)
    {
        int f = samples.SampleSize;
        var values = indices.SelectMany(i => samples.Values.AsSpan(i * f, f).ToArray()).ToArray();
        return new SampleMatrix(values, indices.Length, f);
    }

    private static double Accuracy(int[] predicted, int[] truth) => predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;
}
