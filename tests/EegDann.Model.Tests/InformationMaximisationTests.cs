using EegDann.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model.Tests;

public sealed class InformationMaximisationTests
{
    private static readonly TrainingOptions Small = new()
    {
        Epochs = 15,
        BatchSize = 32,
        Extractor = new MlpExtractorSpec([8], 0.5),
        DomainHiddenSizes = [8],
        WeightDecay = 1e-3,
    };

    private static double Loss(float[] logits, int rows, int classes)
    {
        using var scope = NewDisposeScope();
        return InformationMaximisation.Loss(tensor(logits, [1, rows, classes])).to_type(ScalarType.Float64).item<double>();
    }

    private static float[] Weights(TrainedModel model)
    {
        using var scope = NewDisposeScope();
        return model.Network.parameters().SelectMany(p => p.data<float>().ToArray())
            .Concat(model.Network.Standardizer.Mean).Concat(model.Network.Standardizer.Scale).ToArray();
    }

    private static TrainingProblem Problem(double shift, int seed = 1, int count = 160)
    {
        var (source, labels) = Synthetic.Gaussians(count, 4, seed);
        var (target, _) = Synthetic.Gaussians(count / 2, 4, seed + 100, shift);
        return new TrainingProblem(new LabeledSamples(source, labels), target, ["left", "right"]);
    }

    [Fact]
    public void TheLossIsLowestForConfidentPredictionsSpreadOverTheClassesAndZeroForUniformOrOneClassAnswers()
    {
        // Uniform answers: conditional entropy ln 2, entropy of the mean ln 2 → 0.
        Assert.Equal(0, Loss([0, 0, 0, 0], 2, 2), 6);
        // Confident, always the same class: 0 − 0 → 0 (the collapse the diversity term penalises).
        Assert.Equal(0, Loss([30, 0, 30, 0], 2, 2), 6);
        // Confident and balanced: 0 − ln 2, the minimum.
        Assert.Equal(-Math.Log(2), Loss([30, 0, 0, 30], 2, 2), 6);
        // Balanced but unsure lies between.
        Assert.InRange(Loss([1, 0, 0, 1], 2, 2), -Math.Log(2) + 1e-3, -1e-3);
    }

    [Fact]
    public void TheLossOfEachMemberDependsOnThatMembersLogitsOnly()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 30, 0, 0, 30, 0, 0, 0, 0 }, [2, 2, 2]);

        var loss = InformationMaximisation.Loss(logits).to_type(ScalarType.Float64).data<double>().ToArray();

        Assert.Equal(-Math.Log(2), loss[0], 6);
        Assert.Equal(0, loss[1], 6);
    }

    [Theory]
    [InlineData(TrainingMethod.DannIm)]
    [InlineData(TrainingMethod.SourceOnlyIm)]
    public void AnInformationMaximisingMemberTrainedInAStackIsTheNetworkItWouldBeAloneAndTheSameSeedGivesTheSameWeights(TrainingMethod method)
    {
        var problem = Problem(shift: 1);
        var other = Problem(shift: 2, seed: 5);
        var alone = StackedMlpTrainer.Train([new StackedMember(problem, Small with { Method = method, Seed = 4 })]);
        var again = StackedMlpTrainer.Train([new StackedMember(problem, Small with { Method = method, Seed = 4 })]);
        var stacked = StackedMlpTrainer.Train(
        [
            new StackedMember(other, Small with { Method = method, Seed = 9 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.Dann, Seed = 4 }),
            new StackedMember(problem, Small with { Method = method, Seed = 4 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.SourceOnly, Seed = 4 }),
        ]);

        using var a = alone[0].RequireModel();
        using var b = again[0].RequireModel();
        using var c = stacked[2].RequireModel();
        Assert.Equal(Weights(a), Weights(b));
        Assert.Equal(Weights(a), Weights(c));
        // The loss changes training: the same seed without it gives another network.
        using var plain = stacked[method == TrainingMethod.DannIm ? 1 : 3].RequireModel();
        Assert.NotEqual(Weights(a), Weights(plain));
        foreach (var r in stacked)
        {
            r.Model?.Dispose();
        }
    }

    [Fact]
    public void TheSingleNetworkTrainerAndTheStackedTrainerRunTheInformationMaximisingMethods()
    {
        var problem = Problem(shift: 1);
        foreach (var method in new[] { TrainingMethod.DannIm, TrainingMethod.SourceOnlyIm })
        {
            var single = Trainers.Train(problem, Small with { Method = method, Seed = 2 });
            var stacked = StackedMlpTrainer.Train([new StackedMember(problem, Small with { Method = method, Seed = 2 })])[0];
            using var s = single.RequireModel();
            using var t = stacked.RequireModel();
            Assert.Equal(method, s.Training.Method);
            Assert.Equal(method == TrainingMethod.DannIm, single.Epochs[^1].DomainAccuracy is not null);
            Assert.Equal(method == TrainingMethod.DannIm, stacked.Epochs[^1].DomainAccuracy is not null);
            Assert.True(single.Epochs[^1].SourceAccuracy > 0.75 && stacked.Epochs[^1].SourceAccuracy > 0.75);
        }

        var noTarget = new TrainingProblem(problem.Source, new SampleMatrix([], 0, 4), problem.ClassNames);
        var e = Assert.Throws<ArgumentException>(() => Trainers.Train(noTarget, Small with { Method = TrainingMethod.SourceOnlyIm }));
        Assert.Contains("unlabeled target", e.Message);
    }

    [Fact]
    public void InformationMaximisationKeepsATargetFromCollapsingOntoOneClass()
    {
        // The target's classes are shifted across the source's boundary, so a source-only network
        // answers one class for most of the target; the diversity term spreads the answers.
        var (source, labels) = Synthetic.Gaussians(400, 2, 3, std: 0.35);
        var (target, targetLabels) = Synthetic.Gaussians(400, 2, 4, shift: 0.9, std: 0.35);
        var problem = new TrainingProblem(new LabeledSamples(source, labels), target, ["a", "b"]);
        var options = new TrainingOptions { Epochs = 60, BatchSize = 64, Seed = 0, Extractor = new MlpExtractorSpec([32, 32]), DomainHiddenSizes = [32] };

        var results = StackedMlpTrainer.Train([new StackedMember(problem, options with { Method = TrainingMethod.SourceOnly }), new StackedMember(problem, options with { Method = TrainingMethod.SourceOnlyIm })]);

        using var sourceOnly = results[0].RequireModel();
        using var im = results[1].RequireModel();
        double Accuracy(TrainedModel m) => m.Predict(target).Zip(targetLabels).Count(p => p.First == p.Second) / 400.0;
        Assert.True(Accuracy(im) > Accuracy(sourceOnly) + 0.05, $"im {Accuracy(im)}, source only {Accuracy(sourceOnly)}");
    }
}
