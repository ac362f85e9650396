namespace EegDann.Model.Tests;

public sealed class BiasAdaptationTests
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
    public void TheOffsetsMakeEveryClasssMeanDecisionTheSame()
    {
        double[] decisions = [1, 5, -2, 3, 9, 0, 2, 1, -4];

        var offsets = BiasAdaptation.Offsets(decisions, 3);

        // Means per class: 2, 5, -2; their mean 5/3.
        Assert.Equal([5.0 / 3 - 2, 5.0 / 3 - 5, 5.0 / 3 + 2], offsets, new ToleranceComparer(1e-12));
        Assert.Throws<ArgumentException>(() => BiasAdaptation.Offsets([], 2));
        Assert.Throws<ArgumentException>(() => BiasAdaptation.Offsets([1, 2, 3], 2));
    }

    [Fact]
    public void AShiftedTargetGetsTheNetworksThresholdBackWithoutLabelsAndTheExtractorAndWeightsStay()
    {
        // Source classes at x0 = ∓1; the target's at ∓1 + 0.9: the source's boundary (x0 = 0) misses most of the target's class 0.
        var (source, sourceLabels) = Synthetic.Gaussians(200, 4, seed: 1);
        var (target, targetLabels) = Synthetic.Gaussians(200, 4, seed: 2, shift: 0.9);
        var problem = new TrainingProblem(new LabeledSamples(source, sourceLabels), target, ["left", "right"]);
        using var trained = Trainers.Train(problem, Small).RequireModel();

        using var adapted = BiasAdaptation.Adapt(trained, target);

        Assert.Equal(trained.ExtractFeatures(target).SelectMany(r => r), adapted.ExtractFeatures(target).SelectMany(r => r));
        Assert.Equal(ModelEnsemble.LabelHead(trained).Weight, ModelEnsemble.LabelHead(adapted).Weight);
        var p = adapted.PredictProbabilities(target);
        double meanLogitDifference = Enumerable.Range(0, target.Count).Average(i => Math.Log(p[(2 * i) + 1]) - Math.Log(p[2 * i]));
        Assert.Equal(0, meanLogitDifference, 4);
        double before = Accuracy(trained.Predict(target), targetLabels);
        double after = Accuracy(adapted.Predict(target), targetLabels);
        Assert.True(before < 0.8, $"the shift should hurt the source's boundary: {before:F3}");
        Assert.True(after >= before + 0.1, $"{before:F3} → {after:F3}");
    }

    [Fact]
    public void ShiftedTargetRowsGetTheLdasAndTheLogisticRegressionsBiasToTheirMeanWithoutLabels()
    {
        var (source, sourceLabels) = Synthetic.Gaussians(200, 4, seed: 1);
        var (target, targetLabels) = Synthetic.Gaussians(200, 4, seed: 2, shift: 0.9);
        var sourceRows = source.Values.Select(v => (double)v).ToArray();
        var targetRows = target.Values.Select(v => (double)v).ToArray();

        var lda = ShrinkageLda.Fit(sourceRows, 4, sourceLabels, 2);
        var adaptedLda = BiasAdaptation.Adapt(lda, targetRows);
        var logistic = LogisticRegression.Fit(sourceRows, 4, sourceLabels, 1.0);
        var adaptedLogistic = BiasAdaptation.Adapt(logistic, targetRows);

        Assert.Equal(lda.Weights, adaptedLda.Weights);
        Assert.Equal(logistic.Weights, adaptedLogistic.Weights);
        double MeanLda(LinearDiscriminant d) => Enumerable.Range(0, 200).Average(i => { var v = d.Decision(targetRows.AsSpan(i * 4, 4)); return v[1] - v[0]; });
        Assert.Equal(0, MeanLda(adaptedLda), 9);
        Assert.Equal(0, Enumerable.Range(0, 200).Average(i => adaptedLogistic.Decision(targetRows.AsSpan(i * 4, 4))), 9);
        foreach (var (before, after) in new[] { (lda.Predict(targetRows), adaptedLda.Predict(targetRows)), (logistic.Predict(targetRows), adaptedLogistic.Predict(targetRows)) })
        {
            Assert.True(Accuracy(before, targetLabels) < 0.8, $"the shift should hurt the source's boundary: {Accuracy(before, targetLabels):F3}");
            Assert.True(Accuracy(after, targetLabels) >= Accuracy(before, targetLabels) + 0.1, $"{Accuracy(before, targetLabels):F3} → {Accuracy(after, targetLabels):F3}");
        }
    }

    private static double Accuracy(int[] predicted, int[] truth) => predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
