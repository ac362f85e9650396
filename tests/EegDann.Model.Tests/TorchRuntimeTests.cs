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

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:0")]
    [InlineData("CUDA:1")]
    public void AskingForCudaWithOnlyTheCpuRuntimeNamesTheSettingAndTheBuildProperty(string setting)
    {
        // This build carries libtorch-cpu-linux-x64 only (the default EegDannTorchRuntime=cpu).
        var e = Assert.Throws<TorchDeviceException>(() => TorchRuntime.UseDevice(setting, "Daemon:Decoder:Device"));

        Assert.StartsWith($"Daemon:Decoder:Device = '{setting}': CUDA is not available", e.Message, StringComparison.Ordinal);
        Assert.Contains("EegDannTorchRuntime=cuda", e.Message, StringComparison.Ordinal);
        Assert.Equal(DeviceType.CPU, get_default_device().type);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("")]
    [InlineData(null)]
    public void ADeviceSettingThatIsNotADeviceIsRefusedNamingIt(string? setting)
    {
        string? problem = TorchRuntime.DeviceProblem(setting, "--device");

        Assert.Equal($"--device = '{setting}' is not a device: use cpu, cuda or cuda:N (N = 0, 1, …).", problem);
        Assert.Throws<TorchDeviceException>(() => TorchRuntime.UseDevice(setting, "--device"));
    }

    [Fact]
    public void TheCpuDeviceIsAcceptedAndTensorsAreMadeOnIt()
    {
        Assert.Null(TorchRuntime.DeviceProblem(" CPU ", "--device"));
        var device = TorchRuntime.UseDevice("cpu", "--device");

        Assert.Equal(DeviceType.CPU, device.type);
        using var t = tensor(new float[] { 1f, 2f });
        Assert.Equal(DeviceType.CPU, t.device_type);
        Assert.Equal(new[] { 1f, 2f }, t.ToHostArray<float>());
    }
}
