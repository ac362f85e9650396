using EegDann.Recordings.Import;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>
/// A recording cut short (a crash, a power cut, a full disk) is refused with the cut named and how to
/// keep what it holds; with <see cref="ImportOptions.Salvage"/> the complete EDF records or XDF chunks
/// before the cut are imported exactly as the whole file's, and the metadata says what was lost.
/// </summary>
public sealed class SalvageTests
{
    [Fact]
    public void AnEdfCutInsideItsLastRecordKeepsTheCompleteRecordsWithTheWholeFilesValues()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var bytes = File.ReadAllBytes(TestData.RawEdf("S001", "R04"));
        string path = dir.File("S001R04.edf");
        File.WriteAllBytes(path, bytes[..(bytes.Length - 30000)]);

        var refused = Assert.Throws<RecordingFormatException>(() => RecordingImporter.Read(path));
        Assert.Contains("The file is truncated (import --salvage keeps the complete data records before the cut).", refused.Message, StringComparison.Ordinal);

        var whole = RecordingImporter.Read(TestData.RawEdf("S001", "R04"));
        var salvaged = RecordingImporter.Read(path, new ImportOptions { Salvage = true });

        // S001R04: 125 records of 1 s (160 samples) × 64 signals + annotations, 20640 bytes each; 30000 bytes cut off two.
        Assert.Equal(123 * 160, salvaged.SampleCount);
        for (int c = 0; c < whole.Info.ChannelCount; c++)
        {
            Assert.Equal(whole.Samples[c][..salvaged.SampleCount], salvaged.Samples[c]);
        }

        Assert.Equal(whole.Events.Where(e => e.Sample < salvaged.SampleCount).Select(e => (e.Label, e.Sample)), salvaged.Events.Select(e => (e.Label, e.Sample)));
        Assert.Equal("the file was cut short: 123 of the 125 data records its header declares are complete and imported; 2 (2 s) are lost", salvaged.Metadata.Extra["salvaged"]);
        Assert.False(whole.Metadata.Extra.ContainsKey("salvaged"));
    }

    [Fact]
    public void AnXdfCutInsideAChunkKeepsTheChunksBeforeItWithTheWholeFilesValues()
    {
        string original = TestData.TestDataFile("formats", "xdf", "clock_resets.xdf");
        using var dir = TestData.NewTemporaryDirectory();
        var bytes = File.ReadAllBytes(original);
        string path = dir.File("cut.xdf");
        File.WriteAllBytes(path, bytes[..(bytes.Length * 3 / 5)]);

        var refused = Assert.Throws<RecordingFormatException>(() => RecordingImporter.Read(path));
        Assert.Contains("truncated: chunk", refused.Message, StringComparison.Ordinal);
        Assert.Contains("import --salvage keeps the chunks before the cut", refused.Message, StringComparison.Ordinal);

        var whole = RecordingImporter.Read(original);
        var salvaged = RecordingImporter.Read(path, new ImportOptions { Salvage = true });
        Assert.InRange(salvaged.SampleCount, whole.SampleCount / 3, whole.SampleCount - 1);
        for (int c = 0; c < whole.Info.ChannelCount; c++)
        {
            Assert.Equal(whole.Samples[c][..salvaged.SampleCount], salvaged.Samples[c]);
        }

        Assert.StartsWith("the file was cut short: chunk ", salvaged.Metadata.Extra["salvaged"], StringComparison.Ordinal);
        Assert.Contains("the chunks before it are imported", salvaged.Metadata.Extra["salvaged"], StringComparison.Ordinal);

        // Cut inside the file header, there is nothing to salvage: refused either way.
        File.WriteAllBytes(path, bytes[..20]);
        Assert.Throws<RecordingFormatException>(() => RecordingImporter.Read(path, new ImportOptions { Salvage = true }));
    }

    [Fact]
    public void AMultiplexedBrainVisionDataFileCutInsideASampleKeepsItsWholeSamples()
    {
        string folder = TestData.TestDataFile("formats", "brainvision");
        using var dir = TestData.NewTemporaryDirectory();
        foreach (string name in new[] { "test.vhdr", "test.vmrk", "test.eeg" })
        {
            File.Copy(Path.Combine(folder, name), dir.File(name));
        }

        // 32 channels of INT_16: 64 bytes a sample; cut 1000 samples and 10 bytes off the end.
        var bytes = File.ReadAllBytes(dir.File("test.eeg"));
        File.WriteAllBytes(dir.File("test.eeg"), bytes[..(bytes.Length - (1000 * 64) - 10)]);

        var refused = Assert.Throws<RecordingFormatException>(() => RecordingImporter.Read(dir.File("test.vhdr")));
        Assert.Contains("import --salvage keeps its whole samples", refused.Message, StringComparison.Ordinal);

        var whole = RecordingImporter.Read(Path.Combine(folder, "test.vhdr"));
        var salvaged = RecordingImporter.Read(dir.File("test.vhdr"), new ImportOptions { Salvage = true });
        Assert.Equal(whole.SampleCount - 1001, salvaged.SampleCount);
        for (int c = 0; c < whole.Info.ChannelCount; c++)
        {
            Assert.Equal(whole.Samples[c][..salvaged.SampleCount], salvaged.Samples[c]);
        }

        Assert.Equal($"the data file was cut short inside sample {salvaged.SampleCount + 1} (54 of its 64 bytes); the {salvaged.SampleCount} whole samples before it are imported", salvaged.Metadata.Extra["salvaged"]);
    }

    [Fact]
    public void AGdfCutShortKeepsItsCompleteRecordsAndSaysTheEventTableIsLost()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var gdf = new Support.SyntheticGdf { SampleRate = 100 };
        gdf.Channels.Add(("C3", Enumerable.Range(0, 300).Select(i => (short)(i * 7)).ToArray(), 4275));
        gdf.Events.Add((10, 769, 5));
        string whole = dir.File("whole.gdf");
        var bytes = gdf.Build();
        File.WriteAllBytes(whole, bytes);
        string path = dir.File("short.gdf");
        File.WriteAllBytes(path, bytes[..(bytes.Length - 400)]);

        var refused = Assert.Throws<RecordingFormatException>(() => RecordingImporter.Read(path));
        Assert.Contains("The file is truncated (import --salvage keeps the complete data records before the cut)", refused.Message, StringComparison.Ordinal);

        var all = RecordingImporter.Read(whole);
        var salvaged = RecordingImporter.Read(path, new ImportOptions { Salvage = true });
        Assert.InRange(salvaged.SampleCount, 1, all.SampleCount - 1);
        Assert.Equal(all.Samples[0][..salvaged.SampleCount], salvaged.Samples[0]);
        Assert.Single(all.Events);
        Assert.Empty(salvaged.Events);
        Assert.Contains("and the event table after them are lost", salvaged.Metadata.Extra["salvaged"], StringComparison.Ordinal);
    }
}
