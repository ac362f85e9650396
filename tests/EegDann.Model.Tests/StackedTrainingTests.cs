using EegDann.Core;
using static TorchSharp.torch;

namespace EegDann.Model.Tests;

public sealed class StackedTrainingTests
{
    private static readonly TrainingOptions Small = new()
    {
        Epochs = 15,
        BatchSize = 32,
        Extractor = new MlpExtractorSpec([8], 0.5),
        DomainHiddenSizes = [8],
        WeightDecay = 1e-3,
    };

    private static TrainingProblem Problem(double shift, int seed = 1, int count = 160)
    {
        var (source, labels) = Synthetic.Gaussians(count, 4, seed);
        var (target, _) = Synthetic.Gaussians(count / 2, 4, seed + 100, shift);
        var domains = Enumerable.Range(0, count).Select(i => i % 3).ToArray();
        return new TrainingProblem(new LabeledSamples(source, labels, domains), target, ["left", "right"]);
    }

    private static float[] Weights(TrainedModel model)
    {
        using var scope = NewDisposeScope();
        return model.Network.parameters().SelectMany(p => p.data<float>().ToArray())
            .Concat(model.Network.Standardizer.Mean).Concat(model.Network.Standardizer.Scale).ToArray();
    }

    [Fact]
    public void AMemberTrainedInAStackIsTheNetworkItWouldBeAlone()
    {
        var problem = Problem(shift: 1);
        var other = Problem(shift: 2, seed: 5);
        var alone = StackedMlpTrainer.Train([new StackedMember(problem, Small with { Method = TrainingMethod.Dann, Seed = 4 })]);
        var stacked = StackedMlpTrainer.Train(
        [
            new StackedMember(other, Small with { Method = TrainingMethod.Dann, Seed = 9 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.SourceOnly, Seed = 4 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.Dann, Seed = 4 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.MultiSourceDann, Seed = 4 }),
        ]);

        using var a = alone[0].RequireModel();
        using var b = stacked[2].RequireModel();
        Assert.Equal(Weights(a), Weights(b));
        Assert.Equal(alone[0].Epochs.Select(e => e.DomainAccuracy), stacked[2].Epochs.Select(e => e.DomainAccuracy));
        foreach (var r in stacked)
        {
            r.Model?.Dispose();
        }
    }

    [Fact]
    public void AStackOfKMembersTrainsEachExactlyAsTrainersTrainsItAlone()
    {
        // Trainers is the stacked trainer with one member: K single runs through the public API give, bit
        // for bit, the weights, standardiser and per-epoch diagnostics of the same K members trained together.
        var problem = Problem(shift: 1);
        var semi = new TrainingProblem(problem.Source, problem.Target, problem.ClassNames, new LabeledSamples(problem.Target.Select([0, 1, 2, 3]), [0, 1, 0, 1]));
        StackedMember[] members =
        [
            new(problem, Small with { Method = TrainingMethod.Dann, Seed = 0 }),
            new(problem, Small with { Method = TrainingMethod.Dann, Seed = 1 }),
            new(problem, Small with { Method = TrainingMethod.Dann, Seed = 2 }),
            new(problem, Small with { Method = TrainingMethod.SourceOnly, Seed = 3 }),
            new(problem, Small with { Method = TrainingMethod.Reweighting, Seed = 3 }),
            new(semi, Small with { Method = TrainingMethod.SemiSupervisedDann, Seed = 4 }),
            new(problem, Small with { Method = TrainingMethod.MultiSourceDann, Seed = 5 }),
            new(problem, Small with { Method = TrainingMethod.DannIm, Seed = 6 }),
            new(problem, Small with { Method = TrainingMethod.Cdan, Seed = 7 }),
        ];

        var stacked = StackedMlpTrainer.Train(members);

        var weights = new float[members.Length][];
        for (int k = 0; k < members.Length; k++)
        {
            var alone = Trainers.Train(members[k].Problem, members[k].Options);
            using var a = alone.RequireModel();
            using var b = stacked[k].RequireModel();
            weights[k] = Weights(b);
            Assert.Equal(Weights(a), weights[k]);
            Assert.Equal(a.Spec, b.Spec);
            Assert.Equal(alone.Epochs, stacked[k].Epochs);
            Assert.Equal(alone.Steps, stacked[k].Steps);
        }

        // The three DANN seeds shared one stack, and differ from each other.
        Assert.NotEqual(weights[0], weights[1]);
        Assert.NotEqual(weights[1], weights[2]);
    }

    [Fact]
    public void EveryMethodTrainsAndReportsItsDiagnostics()
    {
        var problem = Problem(shift: 1);
        var progress = new RecordingProgress();
        var semi = new TrainingProblem(problem.Source, problem.Target, problem.ClassNames, new LabeledSamples(problem.Target.Select([0, 1, 2, 3]), [0, 1, 0, 1]));
        var results = StackedMlpTrainer.Train(
        [
            new StackedMember(problem, Small with { Method = TrainingMethod.SourceOnly, Seed = 1 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.Reweighting, Seed = 1 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.Dann, Seed = 1 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.MultiSourceDann, Seed = 1 }),
            new StackedMember(semi, Small with { Method = TrainingMethod.SemiSupervisedDann, Seed = 1 }),
        ], progress);

        Assert.All(results, r => Assert.Equal(Small.Epochs, r.Epochs.Count));
        Assert.All(results, r => Assert.True(r.Epochs[^1].SourceAccuracy > 0.75, $"source accuracy {r.Epochs[^1].SourceAccuracy}"));
        Assert.Null(results[0].Epochs[^1].DomainAccuracy);
        Assert.NotNull(results[1].Model!.Training.Reweighting);
        Assert.NotNull(results[2].Epochs[^1].DomainAccuracy);
        Assert.Equal(4, results[3].Model!.Spec.DomainCount);
        Assert.NotNull(results[4].Epochs[^1].TargetLabeledLoss);
        Assert.Contains(progress.Reports, r => r.Detail!.Contains("domain acc"));
        foreach (var r in results)
        {
            r.Model!.Dispose();
        }
    }

    [Fact]
    public void DannTrainedInAStackAdaptsToAShiftedTarget()
    {
        var (source, labels) = Synthetic.Gaussians(400, 2, 3, std: 0.35);
        var (target, targetLabels) = Synthetic.Gaussians(400, 2, 4, shift: 1.2, std: 0.35);
        var problem = new TrainingProblem(new LabeledSamples(source, labels), target, ["a", "b"]);
        var options = new TrainingOptions { Epochs = 100, BatchSize = 64, Seed = 0, Extractor = new MlpExtractorSpec([32, 32]), DomainHiddenSizes = [32] };

        var results = StackedMlpTrainer.Train([new StackedMember(problem, options with { Method = TrainingMethod.SourceOnly }), new StackedMember(problem, options)]);

        using var sourceOnly = results[0].RequireModel();
        using var dann = results[1].RequireModel();
        double Accuracy(TrainedModel m) => m.Predict(target).Zip(targetLabels).Count(p => p.First == p.Second) / 400.0;
        Assert.True(Accuracy(dann) > Accuracy(sourceOnly) + 0.1, $"dann {Accuracy(dann)}, source only {Accuracy(sourceOnly)}");
    }

    [Fact]
    public void AJoinedEnsembleGivesTheMeanOfItsMembersLogits()
    {
        var problem = Problem(shift: 1);
        var results = StackedMlpTrainer.Train(new[] { 0, 1, 2 }.Select(s => new StackedMember(problem, Small with { Seed = s, Extractor = new MlpExtractorSpec([6, 5], 0.5) })).ToArray());
        var members = results.Select(r => r.RequireModel()).ToArray();

        using var joined = ModelEnsemble.Merge(members, members[0].Training);

        using var scope = NewDisposeScope();
        var x = tensor(problem.Target.Values, [problem.Target.Count, 4]);
        using var noGrad = no_grad();
        var expected = stack(members.Select(m => m.Network.forward(x)).ToArray()).mean([0]).data<float>().ToArray();
        var actual = joined.Network.forward(x).data<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 4));
        Assert.Equal([18, 15], ((MlpExtractorSpec)joined.Spec.Extractor).HiddenSizes);
        foreach (var m in members)
        {
            m.Dispose();
        }
    }

    [Fact]
    public void AMemberThatCannotBeTrainedIsNamedBeforeAnythingRuns()
    {
        var problem = Problem(shift: 1);
        var noTarget = new TrainingProblem(problem.Source, new SampleMatrix([], 0, 4), problem.ClassNames);

        var e = Assert.Throws<ArgumentException>(() => StackedMlpTrainer.Train(
        [
            new StackedMember(problem, Small),
            new StackedMember(noTarget, Small with { Method = TrainingMethod.Dann, Seed = 7 }),
        ]));

        Assert.Contains("member 1 (dann, seed 7)", e.Message);
        Assert.Contains("unlabeled target", e.Message);
    }
}
