using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Options;
using EegDann.Recordings;
using EegDann.TestSupport;

namespace EegDann.Daemon.Tests;

/// <summary>The replay source reads one row group ahead on the thread pool while it hands out the current one.</summary>
public sealed class ReplaySourceTests
{
    [Fact]
    public async Task TheReplayDeliversEverySampleOfTheRecordingOnceInOrderInChunksOfTheSetSize()
    {
        var recording = TestModels.Read("S002", "R04");
        await using var source = await ReplaySource.OpenAsync(new ReplayOptions { Path = TestModels.RecordingPath("S002", "R04"), Speed = 0, ChunkSamples = 7 });
        var events = new List<SourceEvent>();
        await foreach (var e in source.ReadAsync(CancellationToken.None))
        {
            events.Add(e);
        }

        Assert.IsType<StreamStarted>(events[0]);
        Assert.IsType<StreamStopped>(events[^1]);
        var chunks = events.OfType<ChunkArrived>().Select(a => a.Chunk).ToList();
        Assert.Equal(events.Count - 2, chunks.Count);
        long next = 0;
        int c = recording.Info.ChannelCount;
        foreach (var chunk in chunks)
        {
            Assert.Equal(next, chunk.FirstSampleIndex);
            Assert.InRange(chunk.SampleCount, 1, 7); // shorter only at the end of a row group
            for (int s = 0; s < chunk.SampleCount; s++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    Assert.Equal(recording.Samples[ch][chunk.FirstSampleIndex + s], chunk.Samples[(s * c) + ch]);
                }
            }

            next = chunk.EndSampleIndex;
        }

        Assert.Equal(recording.SampleCount, next);
        Assert.True(chunks.Count(k => k.SampleCount == 7) > 0.9 * chunks.Count);
    }

    [Fact]
    public async Task StoppingAReplayMidwayEndsItsReadAheadCleanlyEveryTime()
    {
        // The read of the next row group is under way on the pool when the consumer stops: disposing
        // the enumeration waits for it, so the reader is closed only after, and the file opens again.
        for (int attempt = 0; attempt < 20; attempt++)
        {
            await using var source = await ReplaySource.OpenAsync(new ReplayOptions { Path = TestModels.RecordingPath("S002", "R08"), Speed = 0, ChunkSamples = 8 });
            int chunks = 0;
            await foreach (var e in source.ReadAsync(CancellationToken.None))
            {
                if (e is ChunkArrived && ++chunks == 1 + attempt)
                {
                    break;
                }
            }

            Assert.Equal(1 + attempt, chunks);
            Assert.Equal(0, source.ReadsUnderWay);
        }
    }

    [Fact]
    public async Task ARowGroupThatCannotBeReadFailsTheReplayWithTheFilesNameAfterTheSamplesBeforeIt()
    {
        using var temp = TestData.NewTemporaryDirectory();
        string path = Path.Combine(temp.Path, "S002R04.parquet");
        File.Copy(TestModels.RecordingPath("S002", "R04"), path);
        File.Copy(TestModels.RecordingPath("S002", "R04").Replace(".parquet", ".events.parquet", StringComparison.Ordinal), Path.Combine(temp.Path, "S002R04.events.parquet"));
        // Garbage over the middle of the file: a row group's pages, not the footer that lists them.
        var bytes = await File.ReadAllBytesAsync(path);
        for (int i = bytes.Length / 2; i < (bytes.Length / 2) + 4096; i++)
        {
            bytes[i] = (byte)(i * 37);
        }

        await File.WriteAllBytesAsync(path, bytes);
        await using var source = await ReplaySource.OpenAsync(new ReplayOptions { Path = path, Speed = 0, ChunkSamples = 8 });
        long delivered = 0;
        var e = await Assert.ThrowsAsync<RecordingFormatException>(async () =>
        {
            await foreach (var item in source.ReadAsync(CancellationToken.None))
            {
                if (item is ChunkArrived arrived)
                {
                    Assert.Equal(delivered, arrived.Chunk.FirstSampleIndex);
                    delivered = arrived.Chunk.EndSampleIndex;
                }
            }
        });
        Assert.Contains("S002R04.parquet", e.Message, StringComparison.Ordinal);
        Assert.Contains("row group", e.Message, StringComparison.Ordinal);
        Assert.InRange(delivered, 1, source.SampleCount - 1);
    }
}
