using static TorchSharp.torch;

namespace EegDann.Model.Tests;

/// <summary>
/// The live decoder's managed forward pass (<see cref="MlpForward"/>, behind <see cref="ModelPredictor"/>'s
/// one-sample call) against libtorch's forward pass of the same network, and its allocations.
/// </summary>
public sealed class MlpForwardTests
{
    private static TrainedModel Network(int features, int[] hidden, int classes, InputStandardization standardization, int seed)
    {
        manual_seed(seed);
        var spec = new NetworkSpec([features], classes, 2, new MlpExtractorSpec(hidden, 0.5), [16], standardization);
        var network = new DannNetwork(spec);
        var random = new Random(seed);
        // Log-variance-like inputs: means about 3, spreads about 2, as the filter-bank features are.
        var mean = Enumerable.Range(0, features).Select(_ => (float)(3 + random.NextDouble())).ToArray();
        var scale = Enumerable.Range(0, features).Select(_ => (float)(0.5 + 2 * random.NextDouble())).ToArray();
        network.Standardizer.Load(mean, scale);
        var record = new TrainingRecord(TrainingMethod.Dann, seed, new TrainingOptions(), 0, 0, 0, 0, 0, 1, [], null);
        return new TrainedModel(network, Enumerable.Range(0, classes).Select(k => $"c{k}").ToArray(), record);
    }

    private static SampleMatrix Inputs(int count, int features, int seed)
    {
        var random = new Random(seed);
        var values = new float[count * features];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(3 + 2 * Synthetic.Normal(random));
        }

        return new SampleMatrix(values, count, [features]);
    }

    public static TheoryData<int, int[], int, InputStandardization> Architectures => new()
    {
        // The default pipeline's ensemble of five 320 → 16 → 2 networks, joined: 320 → 80 → 2.
        { 320, [80], 2, InputStandardization.ZScore },
        { 64, [64, 64], 2, InputStandardization.ZScore },
        { 37, [24, 8], 4, InputStandardization.None },
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void OneSampleGivesLibtorchsProbabilitiesToFloatRoundingAndItsClass(int features, int[] hidden, int classes, InputStandardization standardization)
    {
        using var model = Network(features, hidden, classes, standardization, seed: 3);
        var inputs = Inputs(200, features, seed: 4);
        var predictor = model.CreatePredictor();
        var batch = predictor.PredictProbabilities(inputs);
        var one = new float[classes];
        int sameClass = 0;

        for (int i = 0; i < inputs.Count; i++)
        {
            predictor.PredictProbabilities(inputs.Sample(i), one);
            var expected = batch.AsSpan(i * classes, classes);
            for (int k = 0; k < classes; k++)
            {
                Assert.True(Math.Abs(expected[k] - one[k]) <= 1e-6, $"sample {i}, class {k}: libtorch {expected[k]:R}, managed {one[k]:R}");
            }

            sameClass += ArgMax(expected) == ArgMax(one) ? 1 : 0;
        }

        Assert.Equal(inputs.Count, sameClass);
    }

    [Fact]
    public void ANonFiniteInputGivesNonFiniteProbabilitiesAsLibtorchDoes()
    {
        using var model = Network(320, [80], 2, InputStandardization.ZScore, seed: 5);
        var predictor = model.CreatePredictor();
        var sample = Inputs(1, 320, seed: 6).Values;
        sample[17] = float.NaN;
        var one = new float[2];

        predictor.PredictProbabilities(sample, one);
        var batch = predictor.PredictProbabilities(new SampleMatrix(sample, 1, [320]));

        Assert.All(batch, p => Assert.True(float.IsNaN(p)));
        Assert.All(one, p => Assert.True(float.IsNaN(p), $"managed gave {p}"));
    }

    [Fact]
    public void OneSampleAllocatesNothingOnceWarm()
    {
        using var model = Network(320, [80], 2, InputStandardization.ZScore, seed: 7);
        var predictor = model.CreatePredictor();
        var inputs = Inputs(64, 320, seed: 8);
        var one = new float[2];
        for (int i = 0; i < 200; i++)
        {
            predictor.PredictProbabilities(inputs.Sample(i % inputs.Count), one);
        }

        // The runtime itself (a method tiered up) may allocate on this thread now and then, so one
        // pass of three allocating nothing passes; a forward pass that allocates does so in every pass.
        var allocatedPerPass = new List<long>();
        do
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 2000; i++)
            {
                predictor.PredictProbabilities(inputs.Sample(i % inputs.Count), one);
            }

            allocatedPerPass.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        while (allocatedPerPass[^1] != 0 && allocatedPerPass.Count < 3);

        Assert.True(allocatedPerPass[^1] == 0, $"bytes allocated per pass of 2000 samples: {string.Join(", ", allocatedPerPass)}");
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++)
        {
            best = values[k] > values[best] ? k : best;
        }

        return best;
    }
}
