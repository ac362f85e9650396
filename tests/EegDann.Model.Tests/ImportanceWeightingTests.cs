namespace EegDann.Model.Tests;

public sealed class ImportanceWeightingTests
{
    private static SampleMatrix Line(int n, double mean, int seed)
    {
        var random = new Random(seed);
        return new SampleMatrix(Enumerable.Range(0, n).Select(_ => (float)(mean + Synthetic.Normal(random))).ToArray(), n, 1);
    }

    [Fact]
    public void SourceSamplesThatLookLikeTheTargetWeighMoreAndWeightsAverageOne()
    {
        var source = Line(400, 0, 1);
        var target = Line(400, 1.5, 2);

        var result = ImportanceWeighting.Compute(source, target, clip: 1000);

        Assert.Equal(1.0, result.Weights.Average(w => (double)w), 5);
        var byPosition = Enumerable.Range(0, 400).OrderBy(i => source.Values[i]).Select(i => result.Weights[i]).ToArray();
        Assert.True(byPosition.Zip(byPosition.Skip(1)).All(p => p.Second >= p.First), "weights grow towards the target");
        Assert.True(byPosition[^1] > 10 * byPosition[0]);
        Assert.InRange(result.Summary.DomainClassifierAccuracy, 0.7, 0.85);
    }

    [Fact]
    public void WeightsAreClippedAndStillAverageOne()
    {
        var source = Line(400, 0, 1);
        var target = Line(400, 3, 2);

        var result = ImportanceWeighting.Compute(source, target, clip: 4);

        Assert.Equal(4.0, result.Weights.Max(), 5);
        Assert.True(result.Summary.Clipped > 0);
        Assert.Equal(1.0, result.Weights.Average(w => (double)w), 5);
        Assert.All(result.Weights, w => Assert.InRange(w, 0f, 4f + 1e-5f));
        Assert.True(result.Summary.EffectiveSampleSize < 400);
    }

    [Fact]
    public void SourceAndTargetFromOneDistributionGiveNearlyEqualWeights()
    {
        var result = ImportanceWeighting.Compute(Line(400, 0, 1), Line(400, 0, 2));

        Assert.True(result.Summary.EffectiveSampleSize > 0.95 * 400, $"effective sample size {result.Summary.EffectiveSampleSize}");
        Assert.InRange(result.Summary.DomainClassifierAccuracy, 0.4, 0.6);
    }

    [Fact]
    public void NormaliseAndClipSolvesForTheScaleExactly()
    {
        // exp(logits) ∝ 1, 1, 1, 100: unclipped mean-1 weights would be 0.039…, 3.88 — with clip 2, three share the rest.
        var weights = ImportanceWeighting.NormaliseAndClip([0, 0, 0, Math.Log(100)], 2, out int clipped);

        Assert.Equal(1, clipped);
        Assert.Equal(2.0, weights[3], 12);
        Assert.All(weights.Take(3), w => Assert.Equal(2.0 / 3.0, w, 12));
    }

    [Fact]
    public void ReweightingTrainerRecordsItsWeightsSummaryInTheModel()
    {
        var data = TwoBlobs.Generate(1);
        var problem = new TrainingProblem(new LabeledSamples(data.Source, data.SourceLabels), data.Target, TwoBlobs.ClassNames);

        using var model = Trainers.Train(problem, new TrainingOptions { Method = TrainingMethod.Reweighting, Epochs = 10 }).RequireModel();

        Assert.Equal(TrainingMethod.Reweighting, model.Training.Method);
        Assert.NotNull(model.Training.Reweighting);
        Assert.True(model.Training.Reweighting!.Maximum <= 10.0 + 1e-9);
        Assert.Null(model.Training.Epochs[^1].DomainAccuracy);
    }
}
