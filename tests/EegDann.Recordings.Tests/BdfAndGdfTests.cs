using EegDann.Core;
using EegDann.Recordings.Import;
using EegDann.Recordings.Parquet;
using EegDann.Recordings.Tests.Support;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>Formats we have no real file of, written per their specifications by the tests.</summary>
public sealed class BdfAndGdfTests
{
    [Fact]
    public void BdfPlusSamplesAre24BitAndAnnotationsBecomeEvents()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var digital = new[] { -8388608, -1, 0, 1, 8388607, 123456, -654321, 42, 7, -7 };
        var edf = new SyntheticEdf { Bdf = true, Reserved = "BDF+C", SamplesPerRecord = 5, Patient = "P042 M 01-JAN-1990 Jane_Doe" };
        edf.Signals.Add(new SyntheticSignal("Cz", "uV", -8192, 8191.999, -8388608, 8388607, digital));
        edf.Signals.Add(new SyntheticSignal("Status", "Boolean", -8388608, 8388607, -8388608, 8388607, digital));
        edf.Annotations.Add((0.4, 0.2, "left"));
        edf.Annotations.Add((1.2, null, "right"));
        string path = edf.WriteTo(dir.File("sub-01_task.bdf"));

        Assert.Equal(RecordingImporter.SourceFormat.Bdf, RecordingImporter.Detect(path));
        var recording = RecordingImporter.Read(path);

        double gain = (8191.999 + 8192) / 16777215.0;
        double offset = -8192 - (-8388608 * gain);
        for (int i = 0; i < digital.Length; i++)
        {
            Assert.Equal((float)((digital[i] * gain) + offset), recording.Samples[0][i]);
            Assert.Equal((float)digital[i], recording.Samples[1][i]);
        }

        Assert.Equal(5, recording.Info.SampleRateHz);
        Assert.Equal(["uV", "Boolean"], recording.Metadata.ChannelUnits);
        Assert.Equal([new RecordingEvent(0.4, 0.2, "left", 2), new RecordingEvent(1.2, 0, "right", 6)], recording.Events);
        Assert.Equal("P042", recording.Metadata.Subject); // EDF+/BDF+ patient code
        Assert.Equal("BDF+C", recording.Metadata.Extra["source_format"]);
        Assert.DoesNotContain(recording.Metadata.Extra.Values, v => v.Contains("Jane", StringComparison.Ordinal));
    }

    [Fact]
    public void EdfPlusEventOnsetsCountFromTheFirstRecordNotFromTheHeaderStartTime()
    {
        using var dir = TestData.NewTemporaryDirectory();
        // The first record starts 0.5 s after the header's start time (EDF+ allows sub-second starts).
        var edf = new SyntheticEdf { Reserved = "EDF+C", RecordOnset = r => 0.5 + r };
        edf.Signals.Add(SyntheticEdf.Ramp("C3", 30));
        edf.Annotations.Add((1.75, 1, "cue"));
        string path = edf.WriteTo(dir.File("offset.edf"));

        var recording = RecordingImporter.Read(path);

        Assert.Equal([new RecordingEvent(1.25, 1, "cue", 12)], recording.Events);
    }

    [Fact]
    public void PlainBdfWithoutAnnotationsIsRead()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var edf = new SyntheticEdf { Bdf = true, SamplesPerRecord = 4 };
        edf.Signals.Add(new SyntheticSignal("A1", "mV", -8, 8, -8000000, 8000000, [1000, -1000, 8000000, 0, 5, 6, 7, 8]));
        string path = edf.WriteTo(dir.File("plain.bdf"));

        var recording = RecordingImporter.Read(path);

        Assert.Equal(8, recording.SampleCount);
        Assert.Empty(recording.Events);
        // 1 digital unit = 1e-6 mV = 1e-3 µV.
        Assert.Equal(1.0, recording.Samples[0][0], 5);
        Assert.Equal(-1.0, recording.Samples[0][1], 5);
        Assert.Equal(8000.0, recording.Samples[0][2], 3);
        Assert.Equal("plain", recording.Metadata.Subject);
        Assert.Null(recording.Metadata.Run);
    }

    [Theory]
    [InlineData("uV", 1.0)]
    [InlineData("µV", 1.0)]
    [InlineData("mV", 1000.0)]
    [InlineData("V", 1e6)]
    [InlineData("nV", 1e-3)]
    public void EdfPhysicalDimensionIsConvertedToMicrovolts(string dimension, double factor)
    {
        using var dir = TestData.NewTemporaryDirectory();
        var edf = new SyntheticEdf { Reserved = "EDF+C" };
        edf.Signals.Add(SyntheticEdf.Ramp("C3", 20));
        edf.Signals[0] = edf.Signals[0] with { Dimension = dimension };
        string path = dir.File("units.edf");
        File.WriteAllBytes(path, edf.Build());

        var recording = RecordingImporter.Read(path);

        var digital = edf.Signals[0].Digital;
        for (int i = 0; i < digital.Length; i++)
        {
            double physical = (digital[i] * 0.1) + (-3276.8 + 3276.8);
            Assert.Equal(physical * factor, recording.Samples[0][i], Math.Abs(physical * factor) * 1e-6 + 1e-9);
        }

        Assert.Equal("uV", recording.Metadata.ChannelUnits[0]);
    }

    [Fact]
    public void GdfEventTableGivesCueCodesAsLabelsWithTheirMeaningsInMetadata()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var gdf = new SyntheticGdf { SampleRate = 250 };
        var c3 = Enumerable.Range(0, 750).Select(i => (short)((i * 91 % 4000) - 2000)).ToArray();
        var cz = Enumerable.Range(0, 750).Select(i => (short)(i - 375)).ToArray();
        gdf.Channels.Add(("EEG:C3", c3, 4275));
        gdf.Channels.Add(("EEG:Cz", cz, 4274));
        gdf.Events.Add((0, 32766, 0));
        gdf.Events.Add((250, 768, 1500));
        gdf.Events.Add((375, 769, 313));
        gdf.Events.Add((600, 770, 313));
        string path = gdf.WriteTo(dir.File("B0101T.gdf"));

        Assert.Equal(RecordingImporter.SourceFormat.Gdf, RecordingImporter.Detect(path));
        var recording = RecordingImporter.Read(path);

        Assert.Equal(250, recording.Info.SampleRateHz);
        Assert.Equal(["EEG:C3", "EEG:Cz"], recording.Info.Channels);
        Assert.Equal(750, recording.SampleCount);
        double gain = 200.0 / 65535.0;
        double offset = -100 - (-32768 * gain);
        for (int i = 0; i < 750; i++)
        {
            Assert.Equal((float)((c3[i] * gain) + offset), recording.Samples[0][i]);
            Assert.Equal((float)(((cz[i] * gain) + offset) * 1000), recording.Samples[1][i]);
        }

        Assert.Equal(
            [
                new RecordingEvent(0, 0, "32766", 0),
                new RecordingEvent(1.0, 6.0, "768", 250),
                new RecordingEvent(1.5, 1.252, "769", 375),
                new RecordingEvent(2.4, 1.252, "770", 600),
            ],
            recording.Events);
        Assert.Equal("768=start of a trial; 769=cue left hand; 770=cue right hand; 32766=start of a new run", recording.Metadata.Extra["event_codes"]);
        Assert.Equal("GDF 2.10", recording.Metadata.Extra["source_format"]);
        Assert.Equal("B0101T", recording.Metadata.Subject);
    }

    [Fact]
    public void GdfEventTableInModeOneHasZeroDurations()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var gdf = new SyntheticGdf { SampleRate = 100, EventMode = 1, PatientId = "A07 anonymous" };
        gdf.Channels.Add(("C3", new short[200], 4275));
        gdf.Events.Add((150, 771, 0));
        string path = gdf.WriteTo(dir.File("x.gdf"));

        var recording = RecordingImporter.Read(path);

        Assert.Equal([new RecordingEvent(1.5, 0, "771", 150)], recording.Events);
        Assert.Equal("A07", recording.Metadata.Subject);
    }

    [Fact]
    public void GdfWithNaNScalingIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var gdf = new SyntheticGdf { SampleRate = 100, PhysicalMax = double.NaN };
        gdf.Channels.Add(("C3", new short[100], 4275));
        string path = gdf.WriteTo(dir.File("nan.gdf"));

        var e = Assert.Throws<RecordingFormatException>(() => RecordingImporter.Read(path));
        Assert.Contains("physical maximum of channel 1 'C3' is NaN", e.Message);
    }

    [Fact]
    public void TruncatedGdfIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var gdf = new SyntheticGdf { SampleRate = 100 };
        gdf.Channels.Add(("C3", new short[300], 4275));
        var bytes = gdf.Build();
        string path = dir.File("short.gdf");
        File.WriteAllBytes(path, bytes[..^100]);

        var e = Assert.Throws<RecordingFormatException>(() => RecordingImporter.Read(path));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public async Task GdfImportRoundTripsThroughParquet()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var gdf = new SyntheticGdf { SampleRate = 250 };
        gdf.Channels.Add(("C3", Enumerable.Range(0, 500).Select(i => (short)(i * 13)).ToArray(), 4275));
        gdf.Events.Add((100, 769, 10));
        string path = gdf.WriteTo(dir.File("A01T.gdf"));

        var results = await RecordingImporter.ImportAsync([path], dir.File("out"), new ImportOptions { Subject = "A01" });
        var read = await ParquetRecordingReader.ReadAsync(results[0].Output!);

        Assert.Equal(RecordingImporter.Read(path, "A01").Samples[0], read.Samples[0]);
        Assert.Equal(results[0].Summary!.Events, read.Events);
        Assert.Equal(results[0].Summary!.SampleCount, read.SampleCount);
        Assert.Equal("A01", read.Metadata.Subject);
    }
}
