using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model.Tests;

public sealed class TrainingTests
{
    private static readonly TrainingOptions Quick = new() { Epochs = 20, Seed = 3 };

    private static TrainingProblem Problem(int n = 256, double shift = 0, int seed = 1)
    {
        var (source, labels) = Synthetic.Gaussians(n, 2, seed);
        var (target, _) = Synthetic.Gaussians(n, 2, seed + 100, shift);
        return new TrainingProblem(new LabeledSamples(source, labels), target, ["left", "right"]);
    }

    private static float[] Weights(TrainedModel model)
    {
        using var scope = NewDisposeScope();
        return model.Network.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void DomainHeadStaysNearChanceWhenSourceAndTargetComeFromTheSameDistribution()
    {
        var result = Trainers.Train(Problem(shift: 0), Quick with { Epochs = 30 });

        using var model = result.RequireModel();
        var last = result.Epochs[^1];
        Assert.InRange(last.DomainAccuracy!.Value, 0.4, 0.6);
        Assert.InRange(last.DomainLoss!.Value, Math.Log(2) - 0.05, Math.Log(2) + 0.05);
        Assert.True(last.SourceAccuracy > 0.95, $"source accuracy {last.SourceAccuracy}");
    }

    [Fact]
    public void EveryEpochReportsLossesDomainAccuracyLambdaAndProgress()
    {
        var progress = new RecordingProgress();

        var result = Trainers.Train(Problem(shift: 2), Quick, progress);

        using var model = result.RequireModel();
        Assert.Equal(Quick.Epochs, result.Epochs.Count);
        Assert.Equal(Enumerable.Range(1, Quick.Epochs), result.Epochs.Select(e => e.Epoch));
        Assert.All(result.Epochs, e => Assert.True(double.IsFinite(e.LabelLoss) && e.DomainLoss is not null && e.DomainAccuracy is not null));
        Assert.True(result.Epochs.Zip(result.Epochs.Skip(1)).All(p => p.Second.Lambda > p.First.Lambda), "λ rises every epoch");
        Assert.Equal(LambdaSchedule.Paper.At((result.Steps - 1.0) / result.Steps), result.Epochs[^1].Lambda, 12);
        Assert.Equal(Quick.Epochs, progress.Reports.Count);
        Assert.All(progress.Reports, r => Assert.Equal("train dann", r.Task));
        Assert.Equal(Quick.Epochs, progress.Reports[^1].Done);
        Assert.Contains("domain acc", progress.Reports[^1].Detail);
    }

    [Fact]
    public void SameSeedAndDataGiveIdenticalWeightsAndAnotherSeedDoesNot()
    {
        var problem = Problem(shift: 1);

        using var first = Trainers.Train(problem, Quick).RequireModel();
        using var second = Trainers.Train(problem, Quick).RequireModel();
        using var other = Trainers.Train(problem, Quick with { Seed = 4 }).RequireModel();

        Assert.Equal(Weights(first), Weights(second));
        Assert.NotEqual(Weights(first), Weights(other));
        Assert.Equal(first.Training.Epochs, second.Training.Epochs);
    }

    [Fact]
    public void NonFiniteInputIsRejectedBeforeTrainingWithItsPosition()
    {
        var (source, labels) = Synthetic.Gaussians(64, 3, 1);
        source.Values[3 * 7 + 2] = float.NaN;
        source.Values[3 * 9] = float.PositiveInfinity;
        var (target, _) = Synthetic.Gaussians(64, 3, 2);

        var error = Assert.Throws<ArgumentException>(() => new TrainingProblem(new LabeledSamples(source, labels), target, ["a", "b"]));

        Assert.Contains("source has 2 non-finite", error.Message);
        Assert.Contains("sample 7 at offset 2", error.Message);
    }

    [Fact]
    public void DivergentLearningRateStopsTrainingWithAClearReportAndNoModel()
    {
        var progress = new RecordingProgress();

        var result = Trainers.Train(Problem(shift: 1), Quick with { LearningRate = 1e4, Momentum = 0.99 }, progress);

        Assert.False(result.Succeeded);
        Assert.Null(result.Model);
        Assert.NotNull(result.Failure);
        Assert.Contains("learning rate", result.Failure!.Reason);
        Assert.Contains("No model was produced", result.Failure.Hint);
        Assert.True(result.Failure.Epoch < Quick.Epochs, "stops at the first bad epoch");
        Assert.Equal(result.Failure.Epoch, result.Epochs.Count);
        Assert.Equal("diverged", progress.Reports[^1].Detail);
        var thrown = Assert.Throws<TrainingFailedException>(() => result.RequireModel());
        Assert.Contains($"epoch {result.Failure.Epoch}", thrown.Message);
    }

    [Fact]
    public void InvalidOptionsAreListedAllAtOnce()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Trainers.Train(Problem(), Quick with { Epochs = 0, BatchSize = -1, LearningRate = double.NaN, Momentum = 1 }));

        Assert.Contains("epochs", error.Message);
        Assert.Contains("batch size", error.Message);
        Assert.Contains("learning rate", error.Message);
        Assert.Contains("momentum", error.Message);
    }

    [Fact]
    public void DannNeedsTargetSamplesAndSemiSupervisedDannNeedsTargetLabels()
    {
        var (source, labels) = Synthetic.Gaussians(64, 2, 1);
        var empty = new SampleMatrix([], 0, 2);
        var noTarget = new TrainingProblem(new LabeledSamples(source, labels), empty, ["a", "b"]);

        var dann = Assert.Throws<ArgumentException>(() => Trainers.Train(noTarget, Quick with { Method = TrainingMethod.Dann }));
        var semi = Assert.Throws<ArgumentException>(() => Trainers.Train(Problem(), Quick with { Method = TrainingMethod.SemiSupervisedDann }));
        using var sourceOnly = Trainers.Train(noTarget, Quick with { Method = TrainingMethod.SourceOnly }).RequireModel();

        Assert.Contains("unlabeled target", dann.Message);
        Assert.Contains("labeled target", semi.Message);
        Assert.Null(sourceOnly.Training.Epochs[^1].DomainAccuracy);
    }

    [Fact]
    public void SemiSupervisedDannFitsTheFewLabeledTargetSamples()
    {
        // The target's classes are swapped relative to the source's: only target labels can teach that.
        var (source, labels) = Synthetic.Gaussians(256, 2, 1);
        var (target, targetLabels) = Synthetic.Gaussians(256, 2, 2, shift: 0.2);
        var swapped = targetLabels.Select(l => 1 - l).ToArray();
        var few = Enumerable.Range(0, 10).ToArray();
        var problem = new TrainingProblem(
            new LabeledSamples(source, labels), target, ["a", "b"],
            new LabeledSamples(target.Select(few), few.Select(i => swapped[i]).ToArray()));

        var result = Trainers.Train(problem, Quick with { Method = TrainingMethod.SemiSupervisedDann, TargetLabelWeight = 1 });

        using var model = result.RequireModel();
        Assert.Equal(10, model.Training.TargetLabeledSamples);
        Assert.NotNull(result.Epochs[^1].TargetLabeledLoss);
        Assert.True(result.Epochs[^1].TargetLabeledLoss < result.Epochs[0].TargetLabeledLoss, "the labeled-target loss falls");
    }

    [Fact]
    public void MultiSourceDannGivesEverySourceSubjectItsOwnDomain()
    {
        var (a, la) = Synthetic.Gaussians(128, 2, 1);
        var (b, lb) = Synthetic.Gaussians(128, 2, 2, shift: 0.5);
        var (target, _) = Synthetic.Gaussians(128, 2, 3, shift: 1);
        var source = new LabeledSamples(a.Concat(b), [.. la, .. lb], [.. Enumerable.Repeat(0, 128), .. Enumerable.Repeat(1, 128)]);
        var problem = new TrainingProblem(source, target, ["a", "b"]);

        using var perSubject = Trainers.Train(problem, Quick with { Method = TrainingMethod.MultiSourceDann }).RequireModel();
        using var pooled = Trainers.Train(problem, Quick with { Method = TrainingMethod.Dann }).RequireModel();

        Assert.Equal(3, perSubject.Spec.DomainCount);
        Assert.Equal(2, pooled.Spec.DomainCount);
        Assert.Equal(2, perSubject.Training.SourceDomains);
        var noIds = new TrainingProblem(new LabeledSamples(a, la), target, ["a", "b"]);
        Assert.Throws<ArgumentException>(() => Trainers.Train(noIds, Quick with { Method = TrainingMethod.MultiSourceDann }));
    }

    [Fact]
    public void DannBeatsSourceOnlyOnTheShiftedBlobs()
    {
        var data = TwoBlobs.Generate(0);
        var problem = new TrainingProblem(new LabeledSamples(data.Source, data.SourceLabels), data.Target, TwoBlobs.ClassNames);

        using var sourceOnly = Trainers.Train(problem, new TrainingOptions { Method = TrainingMethod.SourceOnly }).RequireModel();
        using var dann = Trainers.Train(problem, new TrainingOptions { Method = TrainingMethod.Dann }).RequireModel();

        double before = Synthetic.Accuracy(sourceOnly.Predict(data.Target), data.TargetLabels);
        double after = Synthetic.Accuracy(dann.Predict(data.Target), data.TargetLabels);
        Assert.True(before < 0.65, $"source-only target accuracy {before}");
        Assert.True(after > before + 0.25, $"DANN target accuracy {after} vs source-only {before}");
    }
}

public sealed class LabeledSelectionTests
{
    [Fact]
    public void PicksKOfEachClassReproduciblyAndReturnsTheRest()
    {
        int[] labels = [0, 1, 0, 1, 0, 1, 0, 1, 1, 1];

        var (selected, rest) = LabeledSelection.PerClass(labels, 2, seed: 7);
        var again = LabeledSelection.PerClass(labels, 2, seed: 7);

        Assert.Equal(2, selected.Count(i => labels[i] == 0));
        Assert.Equal(2, selected.Count(i => labels[i] == 1));
        Assert.Equal(selected, again.Selected);
        Assert.Equal(Enumerable.Range(0, 10), selected.Concat(rest).Order());
        Assert.Empty(selected.Intersect(rest));
    }

    [Fact]
    public void StandardizedRowsAreTheSourcesZScoresAsTheNetworkAppliesThem()
    {
        // Two features on very different scales: the network's standardisation (fitted on the source) brings both to mean 0, sd 1.
        var (source, labels) = Synthetic.Gaussians(100, 2, seed: 4);
        var scaled = new SampleMatrix(source.Values.Select((v, i) => i % 2 == 0 ? (v * 100) + 7 : v).ToArray(), source.Count, 2);
        var problem = new TrainingProblem(new LabeledSamples(scaled, labels), scaled, ["left", "right"]);
        using var model = Trainers.Train(problem, new TrainingOptions { Epochs = 1, BatchSize = 32, Extractor = new MlpExtractorSpec([4], 0.0), DomainHiddenSizes = [4], Method = TrainingMethod.SourceOnly, Seed = 1 }).RequireModel();

        var rows = model.Standardize(scaled);

        var mean = model.Network.Standardizer.Mean;
        var scale = model.Network.Standardizer.Scale;
        Assert.Equal(scaled.Count, rows.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            for (int j = 0; j < 2; j++)
            {
                Assert.Equal((scaled.Sample(i)[j] - mean[j]) / scale[j], rows[i][j]);
            }
        }

        for (int j = 0; j < 2; j++)
        {
            Assert.Equal(0, rows.Average(r => r[j]), 4);
            Assert.Equal(1, Math.Sqrt(rows.Average(r => r[j] * r[j])), 3);
        }
    }
}
