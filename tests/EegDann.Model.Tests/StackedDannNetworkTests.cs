using static TorchSharp.torch;

namespace EegDann.Model.Tests;

public sealed class StackedDannNetworkTests
{
    private static NetworkSpec Spec(DomainHeadInput domainInput) =>
        new([4], 3, 2, new MlpExtractorSpec([8, 6], 0.5), [5], InputStandardization.ZScore, domainInput);

    [Theory]
    [InlineData(DomainHeadInput.Features)]
    [InlineData(DomainHeadInput.MultilinearMap)]
    public void AStackHoldsTheNetworksStateUnderItsNamesAndExportsAMemberAsItsSliceByName(DomainHeadInput domainInput)
    {
        var spec = Spec(domainInput);
        int[] seeds = [3, 1, 4];
        using var stack = new StackedDannNetwork(spec, seeds);
        using var network = new DannNetwork(spec);

        // The same parameters in the same order (the optimiser's), and the same state (parameters and the standardiser's buffers).
        Assert.Equal(network.named_parameters().Select(p => p.name), stack.named_parameters().Select(p => p.name));
        Assert.Equal(network.state_dict().Keys.Order(StringComparer.Ordinal), stack.state_dict().Keys.Order(StringComparer.Ordinal));
        Assert.Contains("input.mean", stack.state_dict().Keys);

        // Each member's standardiser its own values, so a member's buffers cannot pass for another's.
        int features = spec.SampleShape[0];
        stack.Standardizer.Load(
            Enumerable.Range(0, seeds.Length * features).Select(i => (float)i).ToArray(),
            Enumerable.Range(0, seeds.Length * features).Select(i => 1 + (i / 10f)).ToArray());

        var stacked = stack.state_dict();
        var exported = new Dictionary<string, float[]>[seeds.Length];
        for (int k = 0; k < seeds.Length; k++)
        {
            using var member = stack.Member(k, spec);
            using var scope = NewDisposeScope();
            var state = member.state_dict();
            Assert.Equal(stacked.Count, state.Count);
            exported[k] = [];
            foreach (var (name, value) in stacked)
            {
                // Slice k transposed: (members, in, out) → (out, in) weights; (members, 1, n) → (n) vectors.
                var slice = value[k].t();
                Assert.Equal(slice.shape[0], state[name].shape[0]);
                Assert.Equal(slice.numel(), state[name].numel());
                exported[k][name] = state[name].data<float>().ToArray();
                Assert.Equal(slice.contiguous().data<float>().ToArray(), exported[k][name]);
            }
        }

        // The members differ in every tensor (their seeds; their standardisers), so slice k is member k's and no other's.
        foreach (var name in stacked.Keys)
        {
            Assert.NotEqual(exported[0][name], exported[1][name]);
            Assert.NotEqual(exported[1][name], exported[2][name]);
        }
    }

    [Fact]
    public void AMembersInitialWeightsDependOnItsSeedAloneNotOnItsStack()
    {
        var spec = Spec(DomainHeadInput.Features);
        using var alone = new StackedDannNetwork(spec, [4]);
        using var stack = new StackedDannNetwork(spec, [3, 1, 4]);
        using var a = alone.Member(0, spec);
        using var b = stack.Member(2, spec);
        using var scope = NewDisposeScope();
        var expected = a.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        Assert.Equal(expected, b.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray());
    }
}
