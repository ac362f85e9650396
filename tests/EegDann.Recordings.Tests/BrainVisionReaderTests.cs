using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EegDann.Core;
using EegDann.Recordings.Import;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>
/// The BrainVision reader against MNE-Python's read_raw_brainvision on MNE's own test files
/// (tests/data/formats/brainvision; golden values from tools/golden/brainvision_golden.py), and
/// synthetic files for the binary formats and damage those files do not show.
/// </summary>
public sealed class BrainVisionReaderTests
{
    private static readonly Lazy<JsonDocument> Golden = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("golden", "brainvision_golden.json"))));

    public static TheoryData<string> Headers()
    {
        var data = new TheoryData<string>();
        foreach (var file in Golden.Value.RootElement.GetProperty("files").EnumerateObject())
        {
            data.Add(file.Name);
        }

        return data;
    }

    private static string Shared(string name) => TestData.TestDataFile("formats", "brainvision", name);

    [Theory]
    [MemberData(nameof(Headers))]
    public void EveryHeaderGivesMneValuesAndEvents(string name)
    {
        var golden = Golden.Value.RootElement.GetProperty("files").GetProperty(name);
        string path = Shared(name);
        Assert.Equal(golden.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));

        var recording = RecordingImporter.Read(path);

        Assert.Equal(golden.GetProperty("sfreq").GetDouble(), recording.Info.SampleRateHz);
        Assert.Equal(golden.GetProperty("n_samples").GetInt32(), recording.SampleCount);
        Assert.Equal(golden.GetProperty("channels").EnumerateArray().Select(c => c.GetString()), recording.Info.Channels);
        double[] Doubles(string key) => golden.GetProperty(key).EnumerateArray().Select(x => x.GetDouble()).ToArray();
        double[][] Rows(string key) => golden.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
        var (sum, sumAbs, sumSq, sumIw) = (Doubles("sum"), Doubles("sum_abs"), Doubles("sum_sq"), Doubles("sum_iw"));
        var (first, last) = (Rows("first"), Rows("last"));
        int n = recording.SampleCount;
        for (int c = 0; c < recording.Info.ChannelCount; c++)
        {
            var x = recording.Samples[c];
            double s = 0, sa = 0, sq = 0, iw = 0, iwAbs = 0;
            for (int i = 0; i < n; i++)
            {
                s += x[i];
                sa += Math.Abs(x[i]);
                sq += (double)x[i] * x[i];
                iw += (i + 1.0) * x[i];
                iwAbs += (i + 1.0) * Math.Abs(x[i]);
            }

            // float32 samples against MNE's float64: relative 1e-6 of the magnitudes involved.
            string ch = recording.Info.Channels[c];
            Assert.True(Math.Abs(s - sum[c]) <= 1e-6 * sa + 1e-9, $"{ch}: sum {s} vs {sum[c]}");
            Assert.True(Math.Abs(sa - sumAbs[c]) <= 1e-6 * sa + 1e-9, $"{ch}: sum |x| {sa} vs {sumAbs[c]}");
            Assert.True(Math.Abs(sq - sumSq[c]) <= 1e-6 * sq + 1e-9, $"{ch}: sum x² {sq} vs {sumSq[c]}");
            Assert.True(Math.Abs(iw - sumIw[c]) <= 1e-6 * iwAbs + 1e-9, $"{ch}: sum (i+1)x {iw} vs {sumIw[c]}");
            for (int k = 0; k < 2; k++)
            {
                Assert.Equal(first[k][c], x[k], 1e-6 * Math.Max(1, Math.Abs(first[k][c])));
                Assert.Equal(last[k][c], x[n - 2 + k], 1e-6 * Math.Max(1, Math.Abs(last[k][c])));
            }
        }

        var events = golden.GetProperty("events").EnumerateArray()
            .Select(e => (Math.Round(e[0].GetDouble(), 9), Math.Round(e[1].GetDouble(), 9), e[2].GetString()!))
            .ToList();
        Assert.Equal(events, recording.Events.Select(e => (Math.Round(e.OnsetSeconds, 9), Math.Round(e.DurationSeconds, 9), e.Label)));
        Assert.All(recording.Events, e => Assert.Equal((long)Math.Round(e.OnsetSeconds * recording.Info.SampleRateHz), e.Sample));
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public async Task EveryHeaderImportsToAParquetRecordingWithEvents(string name)
    {
        using var dir = TestData.NewTemporaryDirectory();

        var results = await RecordingImporter.ImportAsync([Shared(name)], dir.Path, new ImportOptions());

        Assert.True(results[0].Succeeded, results[0].Error);
        var back = await ParquetRecordingReader.ReadAsync(results[0].Output!);
        Assert.Equal(results[0].Summary!.Events, back.Events);
        Assert.NotEmpty(back.Events);
        Assert.StartsWith("BrainVision", back.Metadata.Extra["source_format"]);
    }

    [Fact]
    public void UnitsAreConvertedToMicrovoltsAndOtherUnitsAreKept()
    {
        var units = RecordingImporter.Read(Shared("test_units.vhdr"));
        var plain = RecordingImporter.Read(Shared("test_highpass_hz.vhdr"));

        // 500 nV, 0.0005 mV, 0.0000005 V and 0.5 uV are all 0.5 µV per step.
        for (int c = 0; c < 4; c++)
        {
            Assert.Equal(plain.Samples[c], units.Samples[c]);
        }

        Assert.Equal(Enumerable.Repeat("uV", 26).Concat(["BS", "µS", "ARU", "uS", "S", "C"]), units.Metadata.ChannelUnits);
        Assert.Equal("BrainVision 2.0", units.Metadata.Extra["source_format"]);
        Assert.Equal("utf-8", units.Metadata.Extra["brainvision_codepage"]);
        Assert.Equal("INT_16 MULTIPLEXED", units.Metadata.Extra["brainvision_binary_format"]);
        Assert.Equal("2013-11-13T16:14:03", units.Metadata.Extra["start_time"]);
    }

    [Fact]
    public void OldLatin1LayoutIsVectorizedFloat32()
    {
        var recording = RecordingImporter.Read(Shared("test_old_layout_latin1_software_filter.vhdr"));

        Assert.Equal("BrainVision 1.0", recording.Metadata.Extra["source_format"]);
        Assert.Equal("iso-8859-1", recording.Metadata.Extra["brainvision_codepage"]);
        Assert.Equal("IEEE_FLOAT_32 VECTORIZED", recording.Metadata.Extra["brainvision_binary_format"]);
        Assert.Equal((250.0, 29, 251), (recording.Info.SampleRateHz, recording.Info.ChannelCount, recording.SampleCount));
    }

    [Fact]
    public void MarkersPastTheLastSampleAreLeftOutAndCounted()
    {
        var recording = RecordingImporter.Read(Shared("testv2.vhdr"));

        Assert.Equal("3", recording.Metadata.Extra["brainvision_markers_outside"]);
        Assert.Contains(recording.Events, e => e.Label == "Comment/comment using [square] brackets" && e.Sample == 3253);
    }

    [Theory]
    [InlineData("INT_16", "MULTIPLEXED", "UTF-8")]
    [InlineData("INT_16", "VECTORIZED", "UTF-8")]
    [InlineData("INT_32", "MULTIPLEXED", "ANSI")]
    [InlineData("INT_32", "VECTORIZED", null)]
    [InlineData("IEEE_FLOAT_32", "MULTIPLEXED", "UTF-8")]
    [InlineData("IEEE_FLOAT_32", "VECTORIZED", null)]
    public void EveryBinaryFormatOrientationAndCodepageIsRead(string format, string orientation, string? codepage)
    {
        using var dir = TestData.NewTemporaryDirectory();
        // Three channels, five samples: value(c, k) = 100·c + k − 2, so signs and order both show.
        var file = new SyntheticBrainVision
        {
            Format = format,
            Orientation = orientation,
            Codepage = codepage,
            Channels = [("Fp1", "0.5", "µV"), ("Grüße\\1x", "2", "mV"), ("Temp", "0.25", "C")],
            Markers = ["Stimulus,S  1,2,1,0", "Response,R\\1 2,5,0,0", "Stimulus,late,6,1,0"],
        };
        string path = file.WriteTo(dir, "synthetic", (c, k) => (100 * c) + k - 2);

        var recording = RecordingImporter.Read(path);

        Assert.Equal(["Fp1", "Grüße,x", "Temp"], recording.Info.Channels);
        Assert.Equal(["uV", "uV", "C"], recording.Metadata.ChannelUnits);
        for (int k = 0; k < 5; k++)
        {
            Assert.Equal((float)((k - 2) * 0.5), recording.Samples[0][k]);
            Assert.Equal((float)((100 + k - 2) * 2 * 1000.0), recording.Samples[1][k]);
            Assert.Equal((float)((200 + k - 2) * 0.25), recording.Samples[2][k]);
        }

        Assert.Equal(200, recording.Info.SampleRateHz);
        Assert.Equal([new RecordingEvent(0.005, 0.005, "Stimulus/S  1", 1), new RecordingEvent(0.02, 0, "Response/R, 2", 4)], recording.Events);
        Assert.Equal("1", recording.Metadata.Extra["brainvision_markers_outside"]);
    }

    /// <summary>Writes a .vhdr/.vmrk/.eeg triple per the BrainVision Core Data Format.</summary>
    internal sealed class SyntheticBrainVision
    {
        public string Version { get; init; } = "1.0";

        public string Format { get; init; } = "INT_16";

        public string Orientation { get; init; } = "MULTIPLEXED";

        public string? Codepage { get; init; } = "UTF-8";

        public int SamplingIntervalMicroseconds { get; init; } = 5000;

        public int Samples { get; init; } = 5;

        public (string Name, string Resolution, string Unit)[] Channels { get; init; } = [("C3", "0.1", "µV")];

        public string[] Markers { get; init; } = ["New Segment,,1,1,0"];

        public List<string> ExtraHeaderLines { get; } = [];

        public string WriteTo(TemporaryDirectory dir, string stem, Func<int, int, int> value)
        {
            var encoding = Codepage == "UTF-8" ? Encoding.UTF8 : Encoding.Latin1;
            string magic = Version == "1.0" ? "Brain Vision Data Exchange" : "BrainVision Data Exchange";
            var header = new StringBuilder();
            header.Append($"{magic} Header File Version {Version}\r\n\r\n[Common Infos]\r\n");
            if (Codepage is not null)
            {
                header.Append($"Codepage={Codepage}\r\n");
            }

            header.Append($"DataFile={stem}.eeg\r\nMarkerFile={stem}.vmrk\r\nDataFormat=BINARY\r\nDataOrientation={Orientation}\r\n");
            header.Append($"NumberOfChannels={Channels.Length}\r\nSamplingInterval={SamplingIntervalMicroseconds}\r\n");
            foreach (var line in ExtraHeaderLines)
            {
                header.Append(line).Append("\r\n");
            }

            header.Append($"\r\n[Binary Infos]\r\nBinaryFormat={Format}\r\n\r\n[Channel Infos]\r\n; Each entry: Ch<n>=<Name>,<Reference>,<Resolution>,<Unit>\r\n");
            for (int c = 0; c < Channels.Length; c++)
            {
                header.Append($"Ch{c + 1}={Channels[c].Name},,{Channels[c].Resolution},{Channels[c].Unit}\r\n");
            }

            header.Append("\r\n[Comment]\r\nA=free text, not entries\r\n");
            var markers = new StringBuilder($"{magic} Marker File, Version {Version}\r\n\r\n[Common Infos]\r\n");
            if (Codepage is not null)
            {
                markers.Append($"Codepage={Codepage}\r\n");
            }

            markers.Append($"DataFile={stem}.eeg\r\n\r\n[Marker Infos]\r\n");
            for (int m = 0; m < Markers.Length; m++)
            {
                markers.Append($"Mk{m + 1}={Markers[m]}\r\n");
            }

            int bytes = Format == "INT_16" ? 2 : 4;
            var data = new byte[Channels.Length * Samples * bytes];
            for (int c = 0; c < Channels.Length; c++)
            {
                for (int k = 0; k < Samples; k++)
                {
                    int at = (Orientation == "VECTORIZED" ? (c * Samples) + k : (k * Channels.Length) + c) * bytes;
                    int v = value(c, k);
                    switch (Format)
                    {
                        case "INT_16": System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(at), (short)v); break;
                        case "INT_32": System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(at), v); break;
                        default: System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(at), v); break;
                    }
                }
            }

            File.WriteAllBytes(dir.File(stem + ".vhdr"), encoding.GetBytes(header.ToString()));
            File.WriteAllBytes(dir.File(stem + ".vmrk"), encoding.GetBytes(markers.ToString()));
            File.WriteAllBytes(dir.File(stem + ".eeg"), data);
            return dir.File(stem + ".vhdr");
        }
    }
}
