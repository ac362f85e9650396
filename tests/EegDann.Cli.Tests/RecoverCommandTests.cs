using EegDann.Core;
using EegDann.Recordings;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

public sealed class RecoverCommandTests
{
    [Fact]
    public async Task RecoverTurnsAnAbandonedPartFileIntoARecordingAndRefusesGarbage()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = Path.Combine(dir.Path, "session.parquet");
        var writer = await RecordingPartWriter.CreateAsync(path, new SignalInfo(100, ["C3", "C4"]), new RecordingMetadata { Subject = "S042" }, rowGroupSeconds: 1);
        writer.AddEvent(new RecordingEvent(0.5, 0, "start", 50));
        await writer.AppendAsync(new SampleBlock(0, [Enumerable.Range(0, 250).Select(i => (float)i).ToArray(), new float[250]]));
        await writer.DisposeAsync(); // as if killed: 200 samples are durable, 50 were buffered
        string garbage = Path.Combine(dir.Path, "other.parquet.part");
        File.WriteAllText(garbage, "not parquet");

        var run = await EegDannProcess.RunAsync("recover", path + ".part", garbage);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(garbage, run.StdErr);
        var recovered = await ParquetRecordingReader.ReadAsync(path);
        Assert.Equal(200, recovered.SampleCount);
        Assert.Equal(199f, recovered.Samples[0][199]);
        Assert.Equal("S042", recovered.Metadata.Subject);
        Assert.Single(recovered.Events);
    }
}
