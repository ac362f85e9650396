using System.IO.Compression;
using System.Text.Json.Nodes;
using EegDann.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model.Tests;

public sealed class CdanTests
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
        return new TrainingProblem(new LabeledSamples(source, labels), target, ["left", "right"]);
    }

    private static float[] Weights(TrainedModel model)
    {
        using var scope = NewDisposeScope();
        return model.Network.parameters().SelectMany(p => p.data<float>().ToArray())
            .Concat(model.Network.Standardizer.Mean).Concat(model.Network.Standardizer.Scale).ToArray();
    }

    private static long[] Shape(TrainedModel model, string name) =>
        model.Network.named_parameters().Single(p => p.name == name).parameter.shape;

    private static byte[] Bytes(TrainedModel model)
    {
        using var stream = new MemoryStream();
        ModelFile.Write(stream, model);
        return stream.ToArray();
    }

    private static JsonNode Manifest(byte[] bytes)
    {
        using var zip = new ZipArchive(new MemoryStream(bytes));
        using var reader = new StreamReader(zip.GetEntry("manifest.json")!.Open());
        return JsonNode.Parse(reader.ReadToEnd())!;
    }

    [Fact]
    public void TheMapIsTheClassMajorOuterProductAndItsGradientReachesTheFeaturesOnly()
    {
        using var scope = NewDisposeScope();
        var features = tensor(new float[] { 1, 2, 3 }, [1, 3]).requires_grad_();
        var logits = tensor(new float[] { 0, (float)Math.Log(3) }, [1, 2]).requires_grad_();
        var probabilities = MultilinearMap.Probabilities(logits);

        var map = MultilinearMap.Apply(features, probabilities);
        map.sum().backward();

        // g = softmax(0, ln 3) = (1/4, 3/4); value c·3 + j is g[c]·f[j].
        var expected = new[] { 0.25, 0.5, 0.75, 0.75, 1.5, 2.25 };
        Assert.Equal([1L, 6L], map.shape);
        Assert.All(expected.Zip(map.data<float>().ToArray()), p => Assert.Equal(p.First, p.Second, 6));
        // d(sum)/df[j] = Σ_c g[c] = 1; the probabilities are a constant: nothing reaches the logits.
        Assert.All(features.grad!.data<float>().ToArray(), v => Assert.Equal(1f, v, 6));
        Assert.Null(logits.grad);
        Assert.False(probabilities.requires_grad);
        Assert.Throws<ArgumentException>(() => MultilinearMap.Apply(features, tensor(new float[] { 0.5f, 0.5f, 0.5f, 0.5f }, [2, 2])));
    }

    [Fact]
    public void TheDomainHeadOfACdanNetworkReadsHiddenTimesClassesInputsInBothTrainers()
    {
        var problem = Problem(shift: 1);
        var stacked = StackedMlpTrainer.Train(
        [
            new StackedMember(problem, Small with { Method = TrainingMethod.Cdan, Seed = 2 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.Dann, Seed = 2 }),
        ]);
        var single = Trainers.Train(problem, Small with { Method = TrainingMethod.Cdan, Seed = 2 });

        using var cdan = stacked[0].RequireModel();
        using var dann = stacked[1].RequireModel();
        using var alone = single.RequireModel();
        // hidden 8 × classes 2 = 16 inputs of the domain head's first layer; DANN's reads the 8 features.
        Assert.Equal([8L, 16L], Shape(cdan, "domain.hidden.0.weight"));
        Assert.Equal([8L, 16L], Shape(alone, "domain.hidden.0.weight"));
        Assert.Equal([8L, 8L], Shape(dann, "domain.hidden.0.weight"));
        Assert.Equal(DomainHeadInput.MultilinearMap, cdan.Spec.DomainInput);
        Assert.Equal(DomainHeadInput.MultilinearMap, alone.Spec.DomainInput);
        Assert.Equal(DomainHeadInput.Features, dann.Spec.DomainInput);
        Assert.Equal(TrainingMethod.Cdan, cdan.Training.Method);
        Assert.Equal(TrainingMethod.Cdan, alone.Training.Method);
        Assert.NotNull(stacked[0].Epochs[^1].DomainAccuracy);
        Assert.NotNull(single.Epochs[^1].DomainAccuracy);
        Assert.True(stacked[0].Epochs[^1].SourceAccuracy > 0.75 && single.Epochs[^1].SourceAccuracy > 0.75);
        Assert.Equal(cdan.Spec.ParameterCount(), cdan.Network.parameters().Sum(p => p.numel()) + (2L * 4));

        var noTarget = new TrainingProblem(problem.Source, new SampleMatrix([], 0, 4), problem.ClassNames);
        var e = Assert.Throws<ArgumentException>(() => Trainers.Train(noTarget, Small with { Method = TrainingMethod.Cdan }));
        Assert.Contains("unlabeled target", e.Message);
    }

    [Fact]
    public void ACdanMemberTrainedInAStackIsTheNetworkItWouldBeAloneAndTheSameSeedGivesTheSameWeights()
    {
        var problem = Problem(shift: 1);
        var other = Problem(shift: 2, seed: 5);
        var alone = StackedMlpTrainer.Train([new StackedMember(problem, Small with { Method = TrainingMethod.Cdan, Seed = 4 })]);
        var again = StackedMlpTrainer.Train([new StackedMember(problem, Small with { Method = TrainingMethod.Cdan, Seed = 4 })]);
        var stacked = StackedMlpTrainer.Train(
        [
            new StackedMember(other, Small with { Method = TrainingMethod.Cdan, Seed = 9 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.Dann, Seed = 4 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.Cdan, Seed = 4 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.SourceOnly, Seed = 4 }),
        ]);

        using var a = alone[0].RequireModel();
        using var b = again[0].RequireModel();
        using var c = stacked[2].RequireModel();
        using var dann = stacked[1].RequireModel();
        Assert.Equal(Weights(a), Weights(b));
        Assert.Equal(Weights(a), Weights(c));
        Assert.Equal(alone[0].Epochs.Select(e => e.DomainAccuracy), stacked[2].Epochs.Select(e => e.DomainAccuracy));
        // The conditioning changes training: DANN from the same seed ends elsewhere (compare the shared label path).
        Assert.NotEqual(Weights(dann).Take(4 * 8), Weights(a).Take(4 * 8));
        Assert.Equal(Bytes(a), Bytes(b));
        foreach (var r in stacked)
        {
            r.Model?.Dispose();
        }
    }

    [Fact]
    public void ACdanModelFileRoundTripsAndADannFileDoesNotNameTheDomainInput()
    {
        var problem = Problem(shift: 1);
        var results = StackedMlpTrainer.Train(
        [
            new StackedMember(problem, Small with { Method = TrainingMethod.Cdan, Seed = 3 }),
            new StackedMember(problem, Small with { Method = TrainingMethod.Dann, Seed = 3 }),
        ]);
        using var cdan = results[0].RequireModel();
        using var dann = results[1].RequireModel();
        byte[] saved = Bytes(cdan);

        using var package = ModelFile.Read(new MemoryStream(saved));

        Assert.Equal(cdan.Spec, package.Model.Spec);
        Assert.Equal(cdan.PredictProbabilities(problem.Target), package.Model.PredictProbabilities(problem.Target));
        Assert.Equal(saved, Bytes(package.Model));
        Assert.Equal("multilinear_map", (string?)Manifest(saved)["network"]!["domain_input"]);
        Assert.Equal("cdan", (string?)Manifest(saved)["training"]!["method"]);
        Assert.Null(Manifest(Bytes(dann))["network"]!["domain_input"]);
        Assert.NotEqual(cdan.Spec, cdan.Spec with { DomainInput = DomainHeadInput.Features });
    }

    [Fact]
    public void AJoinedCdanEnsembleAveragesTheMembersLogitsAndKeepsAClassMajorDomainHead()
    {
        var problem = Problem(shift: 1);
        var results = StackedMlpTrainer.Train(new[] { 0, 1, 2 }.Select(s => new StackedMember(problem, Small with { Method = TrainingMethod.Cdan, Seed = s })).ToArray());
        var members = results.Select(r => r.RequireModel()).ToArray();

        using var joined = ModelEnsemble.Merge(members, members[0].Training);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tensor(problem.Target.Values, [problem.Target.Count, 4]);
        var expected = stack(members.Select(m => m.Network.forward(x)).ToArray()).mean([0]).data<float>().ToArray();
        Assert.All(expected.Zip(joined.Network.forward(x).data<float>().ToArray()), p => Assert.Equal(p.First, p.Second, 4));
        Assert.Equal([24L, 48L], Shape(joined, "domain.hidden.0.weight"));
        // Member k's block reads g[c]·f_k[j]: with the joined network's probabilities given to every member, the
        // joined head's hidden units are the members' hidden units side by side.
        var joinedFeatures = joined.Network.Features(joined.Network.Standardize(x));
        var g = MultilinearMap.Probabilities(joined.Network.ClassLogits(joinedFeatures));
        var joinedHidden = Hidden(joined, MultilinearMap.Apply(joinedFeatures, g));
        var memberHidden = cat(members.Select(m => Hidden(m, MultilinearMap.Apply(m.Network.Features(m.Network.Standardize(x)), g))).ToArray(), 1);
        Assert.All(memberHidden.data<float>().ToArray().Zip(joinedHidden.data<float>().ToArray()), p => Assert.Equal(p.First, p.Second, 4));
        foreach (var m in members)
        {
            m.Dispose();
        }
    }

    [Fact]
    public void CdanAdaptsToAShiftedTarget()
    {
        var (source, labels) = Synthetic.Gaussians(400, 2, 3, std: 0.35);
        var (target, targetLabels) = Synthetic.Gaussians(400, 2, 4, shift: 1.2, std: 0.35);
        var problem = new TrainingProblem(new LabeledSamples(source, labels), target, ["a", "b"]);
        var options = new TrainingOptions { Epochs = 100, BatchSize = 64, Seed = 0, Extractor = new MlpExtractorSpec([32, 32]), DomainHiddenSizes = [32] };

        var results = StackedMlpTrainer.Train([new StackedMember(problem, options with { Method = TrainingMethod.SourceOnly }), new StackedMember(problem, options with { Method = TrainingMethod.Cdan })]);

        using var sourceOnly = results[0].RequireModel();
        using var cdan = results[1].RequireModel();
        double Accuracy(TrainedModel m) => m.Predict(target).Zip(targetLabels).Count(p => p.First == p.Second) / 400.0;
        Assert.True(Accuracy(cdan) > Accuracy(sourceOnly) + 0.1, $"cdan {Accuracy(cdan)}, source only {Accuracy(sourceOnly)}");
    }

    /// <summary>The domain head's first hidden layer (before its ReLU) on a given input.</summary>
    private static Tensor Hidden(TrainedModel model, Tensor input)
    {
        var parameters = model.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return nn.functional.linear(input, parameters["domain.hidden.0.weight"], parameters["domain.hidden.0.bias"]);
    }
}
