using System.Text.Json;
using EegDann.Dsp.Resampling;
using EegDann.TestSupport;

namespace EegDann.Dsp.Tests;

/// <summary>The whole-channel resampler import uses equals SciPy's resample_poly and the streaming resampler.</summary>
public sealed class WholeSignalResamplerTests
{
    [Theory]
    [InlineData("Resp", 8)]
    [InlineData("SpO2", 1)]
    public void SlowSensorUpsampledTo256HzEqualsResamplePoly(string channel, double rate)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("golden", "mixed_rate_resample.json")));
        var c = doc.RootElement.GetProperty("channels").GetProperty(channel);
        var input = c.GetProperty("digital").EnumerateArray().Select(v => (float)v.GetInt32()).ToArray();
        var expected = c.GetProperty("resampled").EnumerateArray().Select(v => v.GetDouble()).ToArray();

        var output = new WholeSignalResampler().Resample(input, rate, 256);

        Assert.Equal(expected.Length, output.Length);
        double worst = expected.Select((v, i) => Math.Abs(v - output[i]) / Math.Max(1, Math.Abs(v))).Max();
        Assert.True(worst < 1e-6, $"max relative difference {worst:E3}");
    }

    [Fact]
    public void LongSignalAcrossManyBlocksHasTheLengthAndValuesOfOnePiece()
    {
        var input = Enumerable.Range(0, 10_000).Select(i => (float)Math.Sin(i * 0.01)).ToArray();

        var output = new WholeSignalResampler().Resample(input, 250, 160);

        Assert.Equal(6400, output.Length);
        var design = ResamplerDesign.For(250, 160);
        var oneBlock = new PolyphaseResampler(design, 1, input.Length);
        var buffer = new double[oneBlock.MaxOutputBlock];
        int n = oneBlock.Process(input.Select(v => (double)v).ToArray(), input.Length, buffer);
        n += oneBlock.Complete(buffer.AsSpan(n));
        Assert.Equal(6400, n);
        Assert.Equal(buffer.Take(n).Select(v => (float)v), output);
    }
}
