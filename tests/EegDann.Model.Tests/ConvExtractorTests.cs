using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model.Tests;

public sealed class ConvExtractorTests
{
    [Fact]
    public void ConvolutionalExtractorNormalisesExactlyAsTorchSharpsBatchNormWhileTrainingAndAfter()
    {
        // ConvExtractor runs BatchNorm1d's forward pass itself (with explicit, kept-alive scalars);
        // it must give the module's outputs and running statistics bit for bit.
        using var scope = NewDisposeScope();
        using var generator = new Generator(7);
        using var extractor = new ConvExtractor(3, new ConvExtractorSpec(SpatialFilters: 3, TemporalFilters: 4, TemporalKernel: 5, PoolLength: 20, PoolStride: 10, Dropout: 0));
        using var spatial = nn.Conv1d(3, 3, 1, bias: false);
        using var temporal = nn.Conv1d(3, 4, 5, bias: false);
        using var norm = nn.BatchNorm1d(4);
        var parameters = extractor.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        using (no_grad())
        {
            spatial.weight!.copy_(parameters["spatial.weight"]);
            temporal.weight!.copy_(parameters["temporal.weight"]);
            norm.weight.uniform_(0.5, 1.5, generator);
            norm.bias!.uniform_(-0.5, 0.5, generator);
            parameters["norm.weight"].copy_(norm.weight);
            parameters["norm.bias"].copy_(norm.bias);
        }

        Tensor Reference(Tensor x) =>
            nn.functional.avg_pool1d(norm.forward(temporal.forward(spatial.forward(x))).square(), 20, 10).clamp_min(1e-6).log_().flatten(1);

        extractor.train();
        norm.train();
        for (int pass = 0; pass < 3; pass++)
        {
            var x = randn([8, 3, 60], generator: generator);
            Assert.Equal(Reference(x).data<float>().ToArray(), extractor.forward(x).data<float>().ToArray());
        }

        var buffers = extractor.named_buffers().ToDictionary(b => b.name, b => b.buffer, StringComparer.Ordinal);
        Assert.Equal(norm.running_mean!.data<float>().ToArray(), buffers["norm.running_mean"].data<float>().ToArray());
        Assert.Equal(norm.running_var!.data<float>().ToArray(), buffers["norm.running_var"].data<float>().ToArray());
        Assert.Equal(3L, buffers["norm.num_batches_tracked"].item<long>());
        Assert.Equal(norm.num_batches_tracked!.item<long>(), buffers["norm.num_batches_tracked"].item<long>());

        extractor.eval();
        norm.eval();
        var y = randn([5, 3, 60], generator: generator);
        Assert.Equal(Reference(y).data<float>().ToArray(), extractor.forward(y).data<float>().ToArray());
    }
}
