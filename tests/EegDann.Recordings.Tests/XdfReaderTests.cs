using System.Security.Cryptography;
using System.Text.Json;
using EegDann.Core;
using EegDann.Recordings.Import;
using EegDann.Recordings.Parquet;
using EegDann.Recordings.Tests.Support;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>
/// The XDF reader against the three real LabRecorder files in tests/data/formats/xdf (what a correct
/// reader gets from each is written down in tests/data/formats/README.md), and synthetic files for
/// what they do not show.
/// </summary>
public sealed class XdfReaderTests
{
    public static TheoryData<string, string> SharedFiles() => new()
    {
        { "minimal.xdf", "cd1b4f2171b1b165b17528c75131bd912c9bee209182b60d8cc07f4cb63fccea" },
        { "empty_streams.xdf", "50b7cfcd9116986f54258da36cffb3c5834621a0db97087c8ad0baaaf0293a76" },
        { "clock_resets.xdf", "88536b24df4ed09082a00b04c31f65fd2447fa7acb8b929ec264ff8fac29ccec" },
    };

    private static string Shared(string name) => TestData.TestDataFile("formats", "xdf", name);

    [Theory]
    [MemberData(nameof(SharedFiles))]
    public async Task EverySharedFileIsTheOneDocumentedAndImportsToARecordingWithEvents(string name, string sha256)
    {
        string path = Shared(name);
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
        using var dir = TestData.NewTemporaryDirectory();

        var results = await RecordingImporter.ImportAsync([path], dir.Path, new ImportOptions());

        Assert.True(results[0].Succeeded, results[0].Error);
        var back = await ParquetRecordingReader.ReadAsync(results[0].Output!);
        Assert.Equal(results[0].Summary!.SampleCount, back.SampleCount);
        Assert.Equal(results[0].Summary!.Events, back.Events);
        Assert.Equal("XDF", back.Metadata.Extra["source_format"]);
    }

    [Fact]
    public void MinimalFileGivesItsInt16RowsAndDeducedTimestampsAndItsStringStream()
    {
        var file = XdfFile.Read(Shared("minimal.xdf"));

        var eeg = file.Streams.Single(s => s.Id == 0);
        Assert.Equal(("SendDataC", "EEG", 3, 10.0, "int16"), (eeg.Name, eeg.Type, eeg.ChannelCount, eeg.NominalRateHz, eeg.Format));
        double[] rows = [192, 255, 238, 12, 22, 32, 13, 23, 33, 14, 24, 34, 15, 25, 35, 12, 22, 32, 13, 23, 33, 14, 24, 34, 15, 25, 35];
        Assert.Equal(rows, eeg.Values);
        for (int k = 0; k < 9; k++)
        {
            Assert.Equal(5.1 + (0.1 * k), eeg.Timestamps[k], 1e-9);
        }

        Assert.Equal([(6.1, -0.1), (7.1, -0.1)], eeg.ClockOffsets);
        var strings = file.Streams.Single(s => s.Id == 46202862);
        Assert.Equal(("SendDataString", "string", 9), (strings.Name, strings.Format, strings.SampleCount));
        Assert.StartsWith("<?xml", strings.Strings[0]);
        Assert.Equal(["Hello", "World", "from", "LSL", "Hello", "World", "from", "LSL"], strings.Strings.Skip(1));
        Assert.Empty(strings.ClockOffsets);
        Assert.NotNull(eeg.FooterXml);
    }

    [Fact]
    public void MinimalFileImportsWithClockCorrectedTimesAndItsStringsAsEvents()
    {
        var recording = RecordingImporter.Read(Shared("minimal.xdf"));

        Assert.Equal(10, recording.Info.SampleRateHz);
        Assert.Equal(["ch1", "ch2", "ch3"], recording.Info.Channels);
        Assert.Equal([192f, 12, 13, 14, 15, 12, 13, 14, 15], recording.Samples[0]);
        Assert.Equal([255f, 22, 23, 24, 25, 22, 23, 24, 25], recording.Samples[1]);
        Assert.Equal([238f, 32, 33, 34, 35, 32, 33, 34, 35], recording.Samples[2]);
        // The EEG's offsets of -0.1 s move it to 5.0 … 5.8; the string stream has none and stays at 5.1 … 5.9,
        // so marker k lands on sample k + 1 and the last one, 0.1 s after the last sample, is outside.
        Assert.Equal(5.0, double.Parse(recording.Metadata.Extra["xdf_first_timestamp"], System.Globalization.CultureInfo.InvariantCulture), 1e-9);
        Assert.Equal(8, recording.Events.Count);
        Assert.Equal(Enumerable.Range(1, 8).Select(k => (long)k), recording.Events.Select(e => e.Sample));
        Assert.Equal(Enumerable.Range(1, 8).Select(k => k / 10.0), recording.Events.Select(e => e.OnsetSeconds));
        Assert.Equal(["Hello", "World", "from", "LSL", "Hello", "World", "from"], recording.Events.Skip(1).Select(e => e.Label));
        Assert.Equal("1", recording.Metadata.Extra["xdf_events_outside"]);
        Assert.Equal(["uV", "uV", "uV"], recording.Metadata.ChannelUnits);
        Assert.Contains("microvolts", recording.Metadata.Extra["xdf_units"]);
        Assert.StartsWith("SendDataC (id 0, type EEG, int16): the first stream of type EEG", recording.Metadata.Extra["xdf_stream"]);
        Assert.Equal("0", recording.Metadata.Extra["xdf_gaps"]);
        Assert.Equal(10, double.Parse(recording.Metadata.Extra["xdf_effective_rate_hz"], System.Globalization.CultureInfo.InvariantCulture), 6);
    }

    [Fact]
    public void EmptyStreamsAreAcceptedAndTheCounterStreamIsTheRecording()
    {
        var file = XdfFile.Read(Shared("empty_streams.xdf"));

        Assert.Equal([3u, 4u, 1u, 2u], file.Streams.Select(s => s.Id));
        Assert.Equal(0, file.Streams.Single(s => s.Id == 3).SampleCount);
        Assert.Equal(0, file.Streams.Single(s => s.Id == 2).SampleCount);
        var counter = file.Streams.Single(s => s.Id == 4);
        Assert.Equal(Enumerable.Range(0, 10).Select(k => (double)k), counter.Values);
        for (int k = 0; k < 10; k++)
        {
            Assert.Equal(91725.2139 + k, counter.Timestamps[k], 1e-3);
        }

        var ctrl = file.Streams.Single(s => s.Id == 1);
        Assert.Equal(["{\"state\": 2}"], ctrl.Strings);
        Assert.Equal(91725.0140, ctrl.Timestamps[0], 1e-3);
        Assert.All(file.Streams, s => Assert.Equal(7, s.ClockOffsets.Count));
        Assert.All(file.Streams.SelectMany(s => s.ClockOffsets), o => Assert.True(Math.Abs(o.Value) < 1e-4));

        var recording = RecordingImporter.Read(Shared("empty_streams.xdf"));
        Assert.Equal(1, recording.Info.SampleRateHz);
        Assert.Equal(Enumerable.Range(0, 10).Select(k => (float)k), recording.Samples[0]);
        Assert.Equal([""], recording.Metadata.ChannelUnits); // not EEG and no unit given: the numbers as they are
        Assert.Contains("no stream of type EEG", recording.Metadata.Extra["xdf_stream"]);
        // ctrl is 0.2 s before the first counter sample: within half a period of 1 s, so it is an event on sample 0.
        Assert.Equal([new RecordingEvent(0, 0, "{\"state\": 2}", 0)], recording.Events);
        using var streams = JsonDocument.Parse(recording.Metadata.Extra["xdf_streams"]);
        Assert.Equal(4, streams.RootElement.GetArrayLength());
        Assert.Equal(["not imported", "samples", "events", "events"], streams.RootElement.EnumerateArray().Select(s => s.GetProperty("imported_as").GetString()));
    }

    [Fact]
    public void ClockResetsSplitTheOffsetsAndEachSegmentIsCorrectedByItsOwnLine()
    {
        var file = XdfFile.Read(Shared("clock_resets.xdf"));
        var eeg = file.Streams.Single(s => s.Id == 2);
        var markers = file.Streams.Single(s => s.Id == 1);
        Assert.Equal(("BioSemi", 8, "float32", 27815), (eeg.Name, eeg.ChannelCount, eeg.Format, eeg.SampleCount));
        Assert.Equal(("MyMarkerStream", 175), (markers.Name, markers.SampleCount));
        Assert.Equal(653288.51, eeg.Timestamps[12875], 1e-2); // sample 12,876 counted from 1
        Assert.Equal(100.62, eeg.Timestamps[12876], 1e-2);
        foreach (var stream in new[] { eeg, markers })
        {
            Assert.Equal(115, stream.ClockOffsets.Count);
            Assert.Equal(-652340.28, stream.ClockOffsets[81].Value, 1e-2);
            Assert.Equal(1121.17, stream.ClockOffsets[82].Value, 1e-2);
            var segments = XdfClockSync.Segments(stream.ClockOffsets);
            Assert.Equal([(0, 81), (82, 114)], segments.Select(s => (s.FirstOffset, s.LastOffset)));
        }

        var corrected = XdfClockSync.Correct(eeg.Timestamps, eeg.ClockOffsets, XdfClockSync.Segments(eeg.ClockOffsets));
        Assert.Equal(653288.51 - 652340.28, corrected[12875], 0.02);
        Assert.Equal(100.62 + 1121.17, corrected[12876], 0.02);
        // Every sample is within 1 ms of its segment's measured offsets: the lines fit.
        Assert.True(Math.Abs(corrected[0] - (eeg.Timestamps[0] + eeg.ClockOffsets[0].Value)) < 1e-3);
        Assert.True(Math.Abs(corrected[^1] - (eeg.Timestamps[^1] + eeg.ClockOffsets[^1].Value)) < 1e-3);
        // One line through all offsets (what a reader without reset handling does) misplaces the samples by minutes.
        var oneLine = XdfClockSync.Correct(eeg.Timestamps, eeg.ClockOffsets, [FitAll(eeg.ClockOffsets)]);
        Assert.True(Math.Abs(oneLine[^1] - corrected[^1]) > 60);
    }

    [Fact]
    public void ClockResetsFileImportsItsEegWithTheMarkersAndReportsTheGap()
    {
        var recording = RecordingImporter.Read(Shared("clock_resets.xdf"));

        Assert.Equal(100, recording.Info.SampleRateHz);
        Assert.Equal(8, recording.Info.ChannelCount);
        Assert.Equal(27815, recording.SampleCount);
        Assert.Equal("2", recording.Metadata.Extra["xdf_clock_segments"]);
        Assert.NotEqual("0", recording.Metadata.Extra["xdf_gaps"]);
        int outside = int.Parse(recording.Metadata.Extra["xdf_events_outside"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(175, recording.Events.Count + outside);
        Assert.True(recording.Events.Count > 100, $"{recording.Events.Count} markers fell inside the EEG");
        Assert.All(recording.Events, e => Assert.Equal(e.Sample / 100.0, e.OnsetSeconds));
        Assert.Equal(recording.Events.OrderBy(e => e.OnsetSeconds), recording.Events);
    }

    [Fact]
    public void EveryValueFormatAndLengthWidthIsRead()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var xdf = new SyntheticXdf { LengthWidth = 1 }.FileHeader();
        xdf.LengthWidth = 8;
        xdf.StreamHeader(1, "i8", "EEG", 2, 100, "int8", "<channels><channel><label>C3</label><unit>millivolts</unit></channel><channel><label>C4</label><unit>V</unit></channel></channels>")
            .StreamHeader(2, "i32", "misc", 1, 100, "int32")
            .StreamHeader(3, "i64", "misc", 1, 100, "int64")
            .StreamHeader(4, "f32", "misc", 1, 100, "float32")
            .StreamHeader(5, "f64", "misc", 1, 100, "double64")
            .StreamHeader(6, "cues", "Markers", 2, 0, "string")
            .StreamHeader(7, "codes", "Markers", 1, 0, "int32");
        xdf.LengthWidth = 4;
        xdf.Samples(1, "int8", (10.0, [(object)(sbyte)-128, (sbyte)127]), (null, [(object)(sbyte)1, (sbyte)-1]), (null, [(object)(sbyte)2, (sbyte)-2]))
            .Samples(2, "int32", (10.0, [(object)int.MinValue]))
            .Samples(3, "int64", (10.0, [(object)(1L << 40)]))
            .Samples(4, "float32", (10.0, [(object)1.5f]))
            .Samples(5, "double64", (10.0, [(object)Math.PI]))
            .Samples(6, "string", (10.012, [(object)"left", "Grüße"]), (10.5, [(object)new string('x', 300), "far"]))
            .Samples(7, "int32", (10.019, [(object)769]))
            .Boundary()
            .StreamFooter(1);
        string path = xdf.WriteTo(dir.File("formats.xdf"));

        var file = XdfFile.Read(path);
        Assert.Equal([-128.0, 127, 1, -1, 2, -2], file.Streams[0].Values);
        Assert.Equal([10.0, 10.01, 10.02], file.Streams[0].Timestamps.Select(t => Math.Round(t, 9)));
        Assert.Equal([(double)int.MinValue], file.Streams[1].Values);
        Assert.Equal([(double)(1L << 40)], file.Streams[2].Values);
        Assert.Equal([1.5], file.Streams[3].Values);
        Assert.Equal([Math.PI], file.Streams[4].Values);
        Assert.Equal(["left", "Grüße", new string('x', 300), "far"], file.Streams[5].Strings);

        var recording = RecordingImporter.Read(path);
        Assert.Equal(["C3", "C4"], recording.Info.Channels);
        Assert.Equal([-128000f, 1000, 2000], recording.Samples[0]); // millivolts → µV
        Assert.Equal([127e6f, -1e6f, -2e6f], recording.Samples[1]); // volts → µV
        // The 10.5 s cue is far from every sample (the last is at 10.02 s); the others land on samples 1 and 2.
        Assert.Equal([new RecordingEvent(0.01, 0, "left|Grüße", 1), new RecordingEvent(0.02, 0, "769", 2)], recording.Events);
        Assert.Equal("1", recording.Metadata.Extra["xdf_events_outside"]);

        var named = RecordingImporter.Read(path, new ImportOptions { Stream = "f64" });
        Assert.Equal([(float)Math.PI], named.Samples[0]);
        Assert.Equal("f64 (id 5, type misc, double64): named by --stream", named.Metadata.Extra["xdf_stream"]);
    }

    [Fact]
    public void ASingleResetIsFoundAmongRegularOffsetsAndAOutlierDoesNotTiltTheLine()
    {
        var offsets = new List<(double, double)>();
        for (int i = 0; i < 20; i++)
        {
            offsets.Add((1000 + (5 * i), -500 + (1e-6 * i) + (i == 7 ? 0.01 : 0)));
        }

        for (int i = 0; i < 10; i++)
        {
            offsets.Add((20 + (5 * i), 300 + (2e-6 * i)));
        }

        var segments = XdfClockSync.Segments(offsets);

        Assert.Equal([(0, 19), (20, 29)], segments.Select(s => (s.FirstOffset, s.LastOffset)));
        // The 10 ms outlier at i = 7 pulls a least-squares line by 0.5 ms; the Huber fit stays within 10 µs of the true line.
        for (int i = 0; i < 20; i++)
        {
            double t = 1000 + (5 * i), truth = -500 + (1e-6 * i);
            Assert.True(Math.Abs(segments[0].Intercept + (segments[0].Slope * t) - truth) < 1e-5, $"offset {i}");
        }

        var leastSquares = FitAll(offsets.Take(20).ToList());
        Assert.True(Math.Abs(leastSquares.Intercept + (leastSquares.Slope * 1000) - -500) > 1e-4);
        Assert.Equal(4e-7, segments[1].Slope, 1e-12);
        Assert.Equal(300 - (20 * 4e-7), segments[1].Intercept, 1e-9);
        var corrected = XdfClockSync.Correct([1095.0, 20, 65], offsets, segments);
        Assert.Equal(595, corrected[0], 1e-4);
        Assert.Equal([320.0, 365.000018], corrected.Skip(1).Select(t => Math.Round(t, 6)));
    }

    private static ClockSegment FitAll(IReadOnlyList<(double Time, double Value)> offsets)
    {
        double mt = offsets.Average(o => o.Time), mv = offsets.Average(o => o.Value);
        double b = offsets.Sum(o => (o.Time - mt) * (o.Value - mv)) / offsets.Sum(o => (o.Time - mt) * (o.Time - mt));
        return new ClockSegment(0, offsets.Count - 1, mv - (b * mt), b);
    }
}
