using System.Text.Json;
using EegDann.Dsp.Resampling;
using EegDann.TestSupport;

namespace EegDann.Dsp.Tests;

public sealed class ResamplerTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void WholeSignalResampledAndCompletedEqualsScipyResamplePoly(int index)
    {
        var (inRate, outRate, input, expected) = Case(index);
        int channels = input.Length, n = input[0].Length;
        var design = ResamplerDesign.For(inRate, outRate);
        var output = Run(design, Interleave(input), channels, n, chunk: _ => 64);

        Assert.Equal(expected[0].Length, output.Length / channels);
        Assert.Equal(expected[0].Length, design.OutputLength(n));
        double worst = 0;
        for (int c = 0; c < channels; c++)
        {
            for (int m = 0; m < expected[c].Length; m++)
            {
                worst = Math.Max(worst, Math.Abs(output[(m * channels) + c] - expected[c][m]));
            }
        }

        Assert.True(worst < 1e-10, $"{inRate} → {outRate} Hz: max |difference| from resample_poly {worst:E3}");
    }

    [Fact]
    public void ResamplingInRandomChunksGivesTheSamplesOfOnePiece()
    {
        var (inRate, outRate, input, _) = Case(0);
        int channels = input.Length, n = input[0].Length;
        var design = ResamplerDesign.For(inRate, outRate);
        var one = Run(design, Interleave(input), channels, n, chunk: _ => 256);
        var random = new Random(11);
        var chunked = Run(design, Interleave(input), channels, n, chunk: _ => random.Next(1, 257));
        Assert.Equal(one, chunked);
    }

    [Theory]
    [InlineData(250, 160, 16, 25)]
    [InlineData(512, 160, 5, 16)]
    [InlineData(160, 256, 8, 5)]
    [InlineData(1000, 160, 4, 25)]
    [InlineData(128.5, 160, 320, 257)]
    public void FactorsAreTheReducedRatioOfTheRates(double input, double output, int up, int down)
    {
        var design = ResamplerDesign.For(input, output);
        Assert.Equal((up, down), (design.Up, design.Down));
        Assert.Equal(up, design.Taps.Sum(), 9);
    }

    [Fact]
    public void AnIrrationalLookingRatioIsRefusedClearly()
    {
        var e = Assert.Throws<UnsupportedSampleRateException>(() => ResamplerDesign.For(Math.PI * 100, 160));
        Assert.Contains("160 Hz", e.Message);
        Assert.Equal(Math.PI * 100, e.InputRateHz);
        Assert.Equal(160, e.OutputRateHz);
    }

    private static double[] Run(ResamplerDesign design, double[] input, int channels, int n, Func<int, int> chunk)
    {
        var resampler = new PolyphaseResampler(design, channels, 256);
        var output = new List<double>();
        var buffer = new double[resampler.MaxOutputBlock * channels];
        for (int start = 0; start < n;)
        {
            int count = Math.Min(chunk(start), n - start);
            int produced = resampler.Process(input.AsSpan(start * channels, count * channels), count, buffer);
            output.AddRange(buffer.AsSpan(0, produced * channels).ToArray());
            start += count;
        }

        int tail = resampler.Complete(buffer);
        output.AddRange(buffer.AsSpan(0, tail * channels).ToArray());
        return output.ToArray();
    }

    private static double[] Interleave(double[][] channels)
    {
        int c = channels.Length, n = channels[0].Length;
        var data = new double[c * n];
        for (int i = 0; i < n; i++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                data[(i * c) + ch] = channels[ch][i];
            }
        }

        return data;
    }

    private static (double InRate, double OutRate, double[][] Input, double[][] Output) Case(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("golden", "resample_poly.json")));
        var c = doc.RootElement.GetProperty("cases")[index];
        static double[][] Matrix(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        return (c.GetProperty("input_rate_hz").GetDouble(), c.GetProperty("output_rate_hz").GetDouble(), Matrix(c.GetProperty("input")), Matrix(c.GetProperty("output")));
    }
}
