using System.Text.Json;
using EegDann.Dsp.Filters;
using EegDann.TestSupport;

namespace EegDann.Dsp.Tests;

public sealed class ButterworthTests
{
    public static TheoryData<int> Designs()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < GoldenDesigns.Value.Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Designs))]
    public void ImpulseResponseEqualsScipySosfiltOfButter(int index)
    {
        var golden = GoldenDesigns.Value[index];
        var design = Design(golden);
        var signal = new double[golden.ImpulseResponse.Length];
        signal[0] = 1;
        new SosFilter(design, 1).Process(signal, signal.Length);

        double peak = golden.ImpulseResponse.Max(Math.Abs);
        double worst = signal.Zip(golden.ImpulseResponse, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-12 * peak, $"{design.Description}: max |difference| {worst:E3} (peak {peak:E3})");
    }

    [Theory]
    [MemberData(nameof(Designs))]
    public void FrequencyResponseEqualsScipyDesign(int index)
    {
        var golden = GoldenDesigns.Value[index];
        var design = Design(golden);
        var reference = new SosDesign("scipy", golden.SampleRateHz, golden.Sos);
        for (double hz = 0.25; hz < golden.SampleRateHz / 2; hz += 0.25)
        {
            var difference = (design.Response(hz) - reference.Response(hz)).Magnitude;
            Assert.True(difference < 1e-12, $"{design.Description} at {hz} Hz: |H - H_scipy| = {difference:E3}");
        }
    }

    [Fact]
    public void BandPassHasUnitGainAtItsCentreAndHalfPowerAtItsEdges()
    {
        var design = Butterworth.BandPass(8, 30, 4, 160);
        double centre = 160 / Math.PI * Math.Atan(Math.Sqrt(Math.Tan(Math.PI * 8 / 160) * Math.Tan(Math.PI * 30 / 160)));
        Assert.Equal(1.0, design.Gain(centre), 12);
        Assert.Equal(Math.Sqrt(0.5), design.Gain(8), 12);
        Assert.Equal(Math.Sqrt(0.5), design.Gain(30), 12);
        Assert.True(design.Gain(50) < 0.02); // −34 dB (SciPy: 0.0163)
        Assert.Equal(4, design.Sections.Count);
    }

    [Fact]
    public void NotchAt50HzPutsItsNullOnMainsAndPassesTheMuBand()
    {
        var design = Butterworth.Notch(50, 4, 2, 160);
        Assert.True(design.Gain(50) < 1e-9, $"gain at 50 Hz {design.Gain(50):E3}");
        Assert.True(Math.Abs(design.Gain(10) - 1) < 1e-3);
        Assert.Equal(1.0, design.Gain(0), 12);
        Assert.Equal(Math.Sqrt(0.5), design.Gain(48.0), 1); // edges straddle 50 Hz, 4 Hz apart
        Assert.True(Butterworth.Notch(60, 4, 4, 250).Gain(60) < 1e-9);
    }

    [Fact]
    public void DesignRejectsAnEdgeAtOrAboveNyquistAndNamesIt()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Butterworth.BandPass(8, 80, 4, 160));
        Assert.Contains("band-pass high edge", e.Message);
        Assert.Contains("80", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Butterworth.BandPass(30, 8, 4, 160));
        Assert.Throws<ArgumentOutOfRangeException>(() => Butterworth.BandPass(8, 30, 0, 160));
    }

    [Fact]
    public void FilteringInChunksGivesTheSamplesOfOnePiece()
    {
        const int channels = 7; // not a multiple of the vector width: exercises the scalar tail
        var whole = Signals.Noise(channels, 3000, seed: 3);
        var chunked = (double[])whole.Clone();
        new SosFilter(Butterworth.BandPass(8, 30, 4, 160), channels).Process(whole, 3000);

        var filter = new SosFilter(Butterworth.BandPass(8, 30, 4, 160), channels);
        var random = new Random(5);
        for (int start = 0; start < 3000;)
        {
            int n = Math.Min(random.Next(1, 400), 3000 - start);
            filter.Process(chunked.AsSpan(start * channels, n * channels), n);
            start += n;
        }

        Assert.Equal(whole, chunked);
    }

    private static SosDesign Design(GoldenDesign golden) => golden.Kind == "bandpass"
        ? Butterworth.BandPass(golden.LowHz, golden.HighHz, golden.Order, golden.SampleRateHz)
        : Butterworth.BandStop(golden.LowHz, golden.HighHz, golden.Order, golden.SampleRateHz);

    private static readonly Lazy<IReadOnlyList<GoldenDesign>> GoldenDesigns = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("golden", "butterworth_impulse_responses.json")));
        return doc.RootElement.GetProperty("designs").EnumerateArray().Select(d => new GoldenDesign(
            d.GetProperty("kind").GetString()!,
            d.GetProperty("order").GetInt32(),
            d.GetProperty("low_hz").GetDouble(),
            d.GetProperty("high_hz").GetDouble(),
            d.GetProperty("sample_rate_hz").GetDouble(),
            d.GetProperty("sos").EnumerateArray().Select(s => s.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray(),
            d.GetProperty("impulse_response").EnumerateArray().Select(v => v.GetDouble()).ToArray())).ToArray();
    });

    private sealed record GoldenDesign(string Kind, int Order, double LowHz, double HighHz, double SampleRateHz, double[][] Sos, double[] ImpulseResponse);
}
