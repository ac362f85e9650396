using System.Text;
using EegDann.Recordings.Import;
using EegDann.Recordings.Parquet;
using EegDann.Recordings.Tests.Support;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>Every kind of bad input gets a clear error naming the file and the problem, and no output.</summary>
public sealed class BadInputTests
{
    /// <summary>The public corrupt copy of S001R04: every LF byte turned into CR LF by a text-mode transfer.</summary>
    public static byte[] CrLfCopy(byte[] original)
    {
        var result = new List<byte>(original.Length + 20000);
        foreach (byte b in original)
        {
            if (b == (byte)'\n')
            {
                result.Add((byte)'\r');
            }

            result.Add(b);
        }

        return result.ToArray();
    }

    private static RecordingFormatException ImportFails(string path)
    {
        var e = Assert.Throws<RecordingFormatException>(() => RecordingImporter.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path + ": ", e.Message);
        return e;
    }

    [Fact]
    public async Task CrLfCorruptedCopyOfS001R04IsRefusedForItsLengthAndNothingIsWritten()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var corrupt = CrLfCopy(File.ReadAllBytes(TestData.RawEdf("S001", "R04")));
        Assert.Equal(2607749, corrupt.Length); // the size of the public corrupt copy
        string path = dir.File("S001R04.edf");
        File.WriteAllBytes(path, corrupt);

        var e = ImportFails(path);
        Assert.Contains("125 data records × 20640 bytes", e.Message);
        Assert.Contains("CR LF", e.Message);

        string outDir = Path.Combine(dir.Path, "out");
        var results = await RecordingImporter.ImportAsync([path], outDir, new ImportOptions());
        Assert.False(results[0].Succeeded);
        Assert.Empty(Directory.GetFiles(outDir));
    }

    [Fact]
    public void TruncatedFileIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var bytes = File.ReadAllBytes(TestData.RawEdf("S001", "R04"));
        string path = dir.File("short.edf");
        File.WriteAllBytes(path, bytes[..(bytes.Length - 5000)]);

        var e = ImportFails(path);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void FileCutInsideTheHeaderIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var bytes = File.ReadAllBytes(TestData.RawEdf("S001", "R04"));
        string path = dir.File("header-only.edf");
        File.WriteAllBytes(path, bytes[..3000]);

        var e = ImportFails(path);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void SignalCountThatDisagreesWithTheHeaderSizeIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var bytes = File.ReadAllBytes(TestData.RawEdf("S001", "R04"));
        Encoding.ASCII.GetBytes("64  ").CopyTo(bytes, 252);
        string path = dir.File("signals.edf");
        File.WriteAllBytes(path, bytes);

        var e = ImportFails(path);
        Assert.Contains("wrong signal count", e.Message);
        Assert.Contains("64 signals", e.Message);
    }

    [Theory]
    [InlineData("hello, this is a text file\n", "starts with 'hello, t'")]
    [InlineData("", "the file is empty")]
    [InlineData("PAR1\0\0\0\0", "Parquet")]
    [InlineData("GDF 1.25 xxxxxxxx", "GDF 1.x")]
    public void NonEegInputIsRefused(string content, string expected)
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("notes.edf");
        File.WriteAllText(path, content);

        var e = ImportFails(path);
        Assert.Contains("not an EDF, BDF or GDF 2.x file", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingFileIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var e = ImportFails(dir.File("nowhere.edf"));
        Assert.Contains("no such file", e.Message);
    }

    [Fact]
    public void DirectoryGivenAsInputIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var e = ImportFails(dir.Path);
        Assert.Contains("cannot be read", e.Message);
    }

    [Fact]
    public void NaNInAHeaderFieldIsRefusedNamingTheFieldAndSignal()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var edf = new SyntheticEdf { Reserved = "EDF+C" };
        edf.Signals.Add(SyntheticEdf.Ramp("C3", 30));
        edf.Signals.Add(SyntheticEdf.Ramp("C4", 30));
        // Physical maximum of signal 2: fixed header 256 + 3 signals × (16 + 80 + 8 + 8) + 8 for signal 2.
        edf.Patches.Add((256 + (3 * (16 + 80 + 8 + 8)) + 8, "NaN     "));
        string path = edf.WriteTo(dir.File("nan.edf"));

        var e = ImportFails(path);
        Assert.Contains("physical maximum of signal 2 'C4' is NaN", e.Message);
    }

    [Fact]
    public void AnnotationsThatDoNotParseAreRefusedNamingTheRecord()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var edf = new SyntheticEdf { Reserved = "EDF+C" };
        edf.Signals.Add(SyntheticEdf.Ramp("C3", 30));
        edf.Annotations.Add((1.5, 0.5, "T1"));
        var bytes = edf.Build();
        // Record 2's annotation bytes hold "+1\x14\x14\0+1.5\x150.5\x14T1\x14\0": break the onset's sign.
        int at = IndexOf(bytes, Encoding.ASCII.GetBytes("+1.5\x15"));
        bytes[at] = (byte)'x';
        string path = dir.File("tal.edf");
        File.WriteAllBytes(path, bytes);

        var e = ImportFails(path);
        Assert.Contains("annotations do not parse in data record 2", e.Message);
        Assert.Contains("x1.5", e.Message);
    }

    [Fact]
    public void DiscontinuousEdfWithAGapIsRefusedNamingTheGap()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var edf = new SyntheticEdf { Reserved = "EDF+D", RecordOnset = r => r < 2 ? r : r + 10 };
        edf.Signals.Add(SyntheticEdf.Ramp("C3", 40));
        string path = edf.WriteTo(dir.File("gap.edf"));

        var e = ImportFails(path);
        Assert.Contains("EDF+D with a gap: data record 3 starts at 12 s, not 2 s", e.Message);
    }

    [Fact]
    public void DiscontinuousEdfWhoseRecordsAreContiguousIsImported()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var edf = new SyntheticEdf { Reserved = "EDF+D" };
        edf.Signals.Add(SyntheticEdf.Ramp("C3", 40));
        edf.Annotations.Add((2.25, null, "stim"));
        string path = edf.WriteTo(dir.File("contiguous.edf"));

        var recording = RecordingImporter.Read(path);

        Assert.Equal(40, recording.SampleCount);
        // 2.25 s × 10 Hz = 22.5 rounds half to even, as numpy and Python's round() do.
        Assert.Equal([new Core.RecordingEvent(2.25, 0, "stim", 22)], recording.Events);
    }

    [Fact]
    public void SignalsWithDifferentRatesAreRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var edf = new SyntheticEdf { Reserved = "EDF+C", SamplesPerRecord = 10 };
        edf.Signals.Add(SyntheticEdf.Ramp("C3", 30));
        edf.Signals.Add(SyntheticEdf.Ramp("C4", 30));
        var bytes = edf.Build();
        // Samples per record of signal 2 → 5 (the data no longer fit either, but the rate check names the cause).
        int field = 256 + (3 * (16 + 80 + 8 + 8 + 8 + 8 + 8 + 80)) + 8;
        Encoding.ASCII.GetBytes("5       ").CopyTo(bytes, field);
        string path = dir.File("rates.edf");
        File.WriteAllBytes(path, bytes);

        var e = ImportFails(path);
        Assert.Contains("header and file length disagree", e.Message);
    }

    [Fact]
    public async Task CorruptParquetIsRefusedNamingTheFile()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var recording = RecordingImporter.Read(TestData.RawEdf("S001", "R04"));
        string path = dir.File("S001R04.parquet");
        await ParquetRecordingWriter.WriteAsync(recording, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = await Assert.ThrowsAsync<RecordingFormatException>(() => RecordingSummary.ReadAsync(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("not a readable Parquet file", e.Message);
    }

    [Fact]
    public async Task AnEventsFileGivenAsARecordingIsRefusedNamingTheRecordingToGiveInstead()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var recording = RecordingImporter.Read(TestData.RawEdf("S001", "R04"));
        string path = dir.File("S001R04.parquet");
        await ParquetRecordingWriter.WriteAsync(recording, path);
        string events = RecordingParquet.EventsPathFor(path);

        var e = await Assert.ThrowsAsync<RecordingFormatException>(() => ParquetRecordingReader.ReadAsync(events));

        Assert.Equal(events, e.FilePath);
        Assert.Contains("an events file, not a recording: give the recording S001R04.parquet", e.Message);
    }

    [Fact]
    public async Task ParquetWithoutTheSampleColumnIsRefusedNamingTheColumn()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("other.parquet");
        await using (var stream = File.Create(path))
        {
            var field = new global::Parquet.Schema.DataField<float>("C3");
            await using var writer = await global::Parquet.ParquetWriter.CreateAsync(new global::Parquet.Schema.ParquetSchema(field), stream);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<float>(field, new float[] { 1, 2, 3 });
        }

        var e = await Assert.ThrowsAsync<RecordingFormatException>(() => ParquetRecordingReader.ReadAsync(path));
        Assert.Contains("column 'sample' (int64 sample index) is missing", e.Message);
    }

    [Fact]
    public async Task MissingEventsFileIsRefusedNamingIt()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var recording = RecordingImporter.Read(TestData.RawEdf("S001", "R04"));
        string path = dir.File("S001R04.parquet");
        await ParquetRecordingWriter.WriteAsync(recording, path);
        File.Delete(RecordingParquet.EventsPathFor(path));

        var e = await Assert.ThrowsAsync<RecordingFormatException>(() => ParquetRecordingReader.ReadAsync(path));
        Assert.Equal(RecordingParquet.EventsPathFor(path), e.FilePath);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public async Task OneBadInputDoesNotStopTheOthers()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string bad = dir.File("bad.edf");
        File.WriteAllText(bad, "not eeg");
        string outDir = Path.Combine(dir.Path, "out");

        var results = await RecordingImporter.ImportAsync([bad, TestData.RawEdf("S002", "R04")], outDir, new ImportOptions());

        Assert.False(results[0].Succeeded);
        Assert.True(results[1].Succeeded);
        Assert.Equal(["S002R04.events.parquet", "S002R04.parquet"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TwoInputsWithTheSameNameDoNotOverwriteEachOther()
    {
        using var dir = TestData.NewTemporaryDirectory();
        Directory.CreateDirectory(dir.File("a"));
        string copy = dir.File(Path.Combine("a", "S001R04.edf"));
        File.Copy(TestData.RawEdf("S001", "R04"), copy);

        var results = await RecordingImporter.ImportAsync([TestData.RawEdf("S001", "R04"), copy], dir.File("out"), new ImportOptions());

        Assert.True(results[0].Succeeded);
        Assert.False(results[1].Succeeded);
        Assert.Contains("already taken", results[1].Error);
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
