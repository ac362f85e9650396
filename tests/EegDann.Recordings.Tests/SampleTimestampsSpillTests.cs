using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>The time stamps of a live recording on disk as they arrive, and what a crash leaves of them.</summary>
public sealed class SampleTimestampsSpillTests
{
    [Fact]
    public async Task ASpillCutInsideARecordKeepsTheWholeRecordsBeforeItUpToTheSamplesKept()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string samples = dir.File("live.parquet");
        string path;
        using (var spill = SampleTimestampsSpill.Create(samples))
        {
            for (int k = 0; k < 100; k++)
            {
                spill.Append(500 + (k / 250.0), k < 10 ? double.NaN : -0.25);
            }

            spill.Flush();
            path = spill.Path;
        }

        Assert.Equal(dir.File("live.timestamps.spill"), path);

        // A crash in the middle of the 100th record.
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(stream.Length - 5);
        }

        string timestamps = SampleTimestampsParquet.PathFor(samples);
        long written = await SampleTimestampsSpill.ToParquetAsync(path, timestamps, 120, new Dictionary<string, string> { ["lsl.name"] = "Amp" });
        Assert.Equal(99, written);
        var (indices, stamps, corrections, metadata) = await SampleTimestampsParquet.ReadAsync(timestamps);
        Assert.Equal(Enumerable.Range(0, 99).Select(k => (long)k), indices);
        Assert.Equal(Enumerable.Range(0, 99).Select(k => 500 + (k / 250.0)), stamps);
        Assert.True(double.IsNaN(corrections[9]));
        Assert.Equal(-0.25, corrections[10]);
        Assert.Equal("Amp", metadata["lsl.name"]);
        Assert.False(File.Exists(path));

        // The samples file kept fewer samples than the spill has time stamps: as many time stamps as samples.
        using (var spill = SampleTimestampsSpill.Create(samples))
        {
            for (int k = 0; k < 50; k++)
            {
                spill.Append(k, 0);
            }
        }

        Assert.Equal(20, await SampleTimestampsSpill.ToParquetAsync(path, timestamps, 20, new Dictionary<string, string>()));
        Assert.Equal(20, (await SampleTimestampsParquet.ReadAsync(timestamps)).Samples.Length);
    }

    [Fact]
    public async Task AFileThatIsNotASpillIsRefusedNamingIt()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("x.timestamps.spill");
        await File.WriteAllTextAsync(path, "something else entirely");
        var e = await Assert.ThrowsAsync<RecordingFormatException>(() => SampleTimestampsSpill.ToParquetAsync(path, dir.File("x.timestamps.parquet"), 10, new Dictionary<string, string>()));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(path));
    }
}
