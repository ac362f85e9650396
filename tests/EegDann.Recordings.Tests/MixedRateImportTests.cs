using System.Text.Json;
using EegDann.Core;
using EegDann.Dsp.Resampling;
using EegDann.Recordings.Import;
using EegDann.Recordings.Parquet;
using EegDann.Recordings.Tests.Support;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>
/// Clinical EDF/BDF files with slow sensors beside the EEG: imported at the EEG rate (or --rate)
/// with the slow channels resampled as SciPy's resample_poly does (golden values from
/// tools/golden/mixed_rate_golden.py), or left out with --channels, and the metadata says which.
/// </summary>
public sealed class MixedRateImportTests
{
    private static readonly Lazy<JsonElement> Golden = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("golden", "mixed_rate_resample.json"))).RootElement);

    private static int[] Digital(string channel) =>
        Golden.Value.GetProperty("channels").GetProperty(channel).GetProperty("digital").EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static double[] Resampled(string channel) =>
        Golden.Value.GetProperty("channels").GetProperty(channel).GetProperty("resampled").EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>4 one-second records: C3 and C4 at 256 Hz, Resp at 8 Hz, SpO2 (%) at 1 Hz, and an annotation at 2.5 s.</summary>
    private static string WriteClinicalEdf(TemporaryDirectory dir, bool bdf = false)
    {
        var edf = new SyntheticEdf { Bdf = bdf, Reserved = bdf ? "BDF+C" : "EDF+C", SamplesPerRecord = 256 };
        edf.Signals.Add(SyntheticEdf.Ramp("C3", 1024));
        edf.Signals.Add(SyntheticEdf.Ramp("C4", 1024, scale: 2));
        // Physical = digital, so the golden inputs are exactly the values the file holds.
        edf.Signals.Add(new SyntheticSignal("Resp", "uV", -32768, 32767, -32768, 32767, Digital("Resp"), SamplesPerRecord: 8));
        edf.Signals.Add(new SyntheticSignal("SpO2", "%", -32768, 32767, -32768, 32767, Digital("SpO2"), SamplesPerRecord: 1));
        edf.Annotations.Add((2.5, 1, "seizure"));
        return edf.WriteTo(dir.File(bdf ? "clinical.bdf" : "clinical.edf"));
    }

    private static ImportOptions WithResampler(double? rate = null, string[]? channels = null) =>
        new() { Resampler = new WholeSignalResampler(), RateHz = rate, Channels = channels };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SlowChannelsAreResampledToTheEegRateAsResamplePolyDoes(bool bdf)
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = WriteClinicalEdf(dir, bdf);

        var recording = RecordingImporter.Read(path, WithResampler());

        Assert.Equal(256, recording.Info.SampleRateHz);
        Assert.Equal(["C3", "C4", "Resp", "SpO2"], recording.Info.Channels);
        Assert.Equal(1024, recording.SampleCount);
        foreach (var (channel, index) in new[] { ("Resp", 2), ("SpO2", 3) })
        {
            var expected = Resampled(channel);
            Assert.Equal(expected.Length, recording.SampleCount);
            double worst = expected.Select((v, i) => Math.Abs(v - recording.Samples[index][i]) / Math.Max(1, Math.Abs(v))).Max();
            Assert.True(worst < 1e-5, $"{channel}: max relative difference from resample_poly {worst:E3}");
        }

        // The EEG is untouched; events keep their onset and count samples at 256 Hz.
        var plain = SyntheticEdf.Ramp("C3", 1024);
        var gain = 6553.5 / 65535.0;
        Assert.Equal((float)((plain.Digital[777] * gain) + (-3276.8 - (-32768 * gain))), recording.Samples[0][777]);
        Assert.Equal([new RecordingEvent(2.5, 1, "seizure", 640)], recording.Events);
        Assert.Equal(["uV", "uV", "uV", "%"], recording.Metadata.ChannelUnits);
        Assert.StartsWith("Resp from 8 Hz; SpO2 from 1 Hz to 256 Hz by polyphase FIR", recording.Metadata.Extra["resampled_channels"]);
        Assert.Equal("{\"C3\":256,\"C4\":256,\"Resp\":8,\"SpO2\":1}", recording.Metadata.Extra["channel_rates_hz"]);
    }

    [Fact]
    public void ChannelsOptionLeavesTheSlowSensorsOutAndSaysSo()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = WriteClinicalEdf(dir);

        var recording = RecordingImporter.Read(path, new ImportOptions { Channels = ["C4", "C3"] });

        Assert.Equal(["C4", "C3"], recording.Info.Channels);
        Assert.Equal(256, recording.Info.SampleRateHz);
        Assert.Equal(1024, recording.SampleCount);
        Assert.Equal("Resp (8 Hz), SpO2 (1 Hz) (not in --channels)", recording.Metadata.Extra["left_out_channels"]);
        Assert.False(recording.Metadata.Extra.ContainsKey("resampled_channels"));
    }

    [Fact]
    public void RateOptionResamplesEveryChannelToIt()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = WriteClinicalEdf(dir);

        var recording = RecordingImporter.Read(path, WithResampler(rate: 128, channels: ["C3", "Resp"]));

        Assert.Equal(128, recording.Info.SampleRateHz);
        Assert.Equal(512, recording.SampleCount);
        Assert.Equal([new RecordingEvent(2.5, 1, "seizure", 320)], recording.Events);
        Assert.StartsWith("C3 from 256 Hz; Resp from 8 Hz to 128 Hz", recording.Metadata.Extra["resampled_channels"]);
        var direct = new WholeSignalResampler().Resample(RecordingImporter.Read(path, new ImportOptions { Channels = ["C3"] }).Samples[0], 256, 128);
        Assert.Equal(direct, recording.Samples[0]);
    }

    [Fact]
    public void WithoutAResamplerMixedRatesAreRefusedNamingTheRates()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = WriteClinicalEdf(dir);

        var e = Assert.Throws<RecordingFormatException>(() => RecordingImporter.Read(path));

        Assert.Equal(path, e.FilePath);
        Assert.Contains("signals have different sample rates: 256 Hz (C3 C4), 8 Hz (Resp), 1 Hz (SpO2)", e.Message);
        Assert.Contains("--channels", e.Message);
    }

    [Fact]
    public async Task ChannelNotInTheFileIsRefusedListingTheChannelsAndNothingIsWritten()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = WriteClinicalEdf(dir);
        string outDir = dir.File("out");

        var results = await RecordingImporter.ImportAsync([path], outDir, WithResampler(channels: ["C3", "Cz", "Pz"]));

        Assert.Equal($"{path}: --channels names 'Cz', 'Pz', not in the file; its channels are C3 C4 Resp SpO2.", results[0].Error);
        Assert.Empty(Directory.GetFiles(outDir));
    }

    [Fact]
    public async Task MixedRateImportIsWrittenAndReadBackWithItsMetadata()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = WriteClinicalEdf(dir);

        var results = await RecordingImporter.ImportAsync([path], dir.File("out"), WithResampler());

        Assert.True(results[0].Succeeded, results[0].Error);
        var back = await ParquetRecordingReader.ReadAsync(results[0].Output!);
        Assert.Equal(RecordingImporter.Read(path, WithResampler()).Samples[3], back.Samples[3]);
        Assert.Equal(results[0].Summary!.Metadata.Extra["resampled_channels"], back.Metadata.Extra["resampled_channels"]);
    }
}
