using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model.Tests;

public sealed class GradientReversalTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.37)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    public void ForwardIsTheIdentityAndBackwardMultipliesTheGradientByMinusLambda(double lambda)
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1f, -2f, 3f, 0.5f }, requires_grad: true);
        var weights = tensor(new float[] { 0.3f, -1.2f, 2f, 4f });

        var y = GradientReversal.Apply(x, lambda);
        (y * weights).sum().backward();

        Assert.Equal(x.data<float>().ToArray(), y.data<float>().ToArray());
        var expected = weights.data<float>().ToArray().Select(w => (float)(-lambda * w)).ToArray();
        var gradient = x.grad!.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], gradient[i], 6);
        }
    }

    [Fact]
    public void OnlyTheBranchThroughTheLayerIsReversed()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 2f }, requires_grad: true);

        // d/dx [x² + GRL(3x)] = 2x − λ·3
        var loss = x.square().sum() + GradientReversal.Apply(x * 3, 0.5).sum();
        loss.backward();

        Assert.Equal(2 * 2f - 0.5f * 3f, x.grad!.item<float>(), 5);
    }
}
