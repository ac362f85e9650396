using EegDann.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model.Tests;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void TorchSharpLoadsAndComputesTheGradientOfASumOfSquares()
    {
        var report = TorchRuntime.Check();

        Assert.Equal(new[] { 2f, 4f, 6f }, report.Gradient);
        Assert.StartsWith("2.10", report.LibTorchVersion);
    }

    [Fact]
    public void ALinearLayerTrainsWithSgdAndItsLossFalls()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        var layer = nn.Linear(3, 1);
        var optimizer = optim.SGD(layer.parameters(), 0.1);
        var x = randn(64, 3);
        var y = x.matmul(tensor(new float[] { 1f, -2f, 0.5f }).unsqueeze(1)) + 0.3f;
        float first = 0, last = 0;
        for (int step = 0; step < 100; step++)
        {
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(layer.forward(x), y);
            loss.backward();
            optimizer.step();
            if (step == 0)
            {
                first = loss.item<float>();
            }

            last = loss.item<float>();
        }

        Assert.True(last < first * 0.01f, $"loss went from {first} to {last}");
    }
}
