using System.Text;
using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>The incremental writer of live sessions: complete files equal the stream, crashes lose at most the row group being filled.</summary>
public sealed class RecordingPartWriterTests
{
    private static readonly Lazy<Recording> Source = new(() => ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, "S003R08.parquet")).GetAwaiter().GetResult());

    private static RecordingMetadata Metadata => new() { Subject = "S003", Session = "live-1", Run = "R01" };

    /// <summary>Feeds samples [from, to) of the source in chunks of irregular size.</summary>
    private static async Task FeedAsync(RecordingPartWriter writer, int from, int to, int seed)
    {
        var random = new Random(seed);
        var source = Source.Value;
        for (int start = from; start < to;)
        {
            int count = Math.Min(random.Next(1, 500), to - start);
            var block = new SampleBlock(start, source.Samples.Select(s => s.AsSpan(start, count).ToArray()).ToArray());
            await writer.AppendAsync(block);
            start += count;
        }
    }

    private static void AssertSamplesEqual(Recording read, int count)
    {
        Assert.Equal(count, read.SampleCount);
        for (int c = 0; c < read.Info.ChannelCount; c++)
        {
            Assert.Equal(Source.Value.Samples[c].AsSpan(0, count).ToArray(), read.Samples[c]);
        }
    }

    [Fact]
    public async Task CompletedSessionEqualsTheStreamAndLeavesNoPartFiles()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("session.parquet");
        var writer = await RecordingPartWriter.CreateAsync(path, Source.Value.Info, Metadata);
        await FeedAsync(writer, 0, 19680, seed: 1);
        foreach (var e in Source.Value.Events)
        {
            writer.AddEvent(e);
        }

        Assert.Equal(path, await writer.CompleteAsync());
        await writer.DisposeAsync();

        var read = await ParquetRecordingReader.ReadAsync(path);
        AssertSamplesEqual(read, 19680);
        Assert.Equal(Source.Value.Events, read.Events);
        Assert.Equal("live-1", read.Metadata.Session);
        Assert.Equal(["session.events.parquet", "session.parquet"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        await using var stream = await ParquetSampleReader.OpenAsync(path);
        Assert.Equal(25, stream.BlockCount); // 24 full row groups of 800 + one of 480
    }

    [Theory]
    [InlineData(4000)] // a whole number of 800-sample row groups: nothing buffered at the end
    [InlineData(4321)]
    public async Task CompletingWithFinalMetadataPutsItInTheFileAndKeepsTheSamples(int samples)
    {
        // What is known only at the end of a stream (an LSL recording's last time stamp) goes into the final footer.
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("session.parquet");
        var writer = await RecordingPartWriter.CreateAsync(path, Source.Value.Info, Metadata);
        await FeedAsync(writer, 0, samples, seed: 3);
        await writer.CompleteAsync(Metadata with { Extra = new Dictionary<string, string> { ["lsl.last_timestamp_s"] = "1234.5" } });
        await writer.DisposeAsync();

        var read = await ParquetRecordingReader.ReadAsync(path);
        AssertSamplesEqual(read, samples);
        Assert.Equal("1234.5", read.Metadata.Extra["lsl.last_timestamp_s"]);
        Assert.Equal("live-1", read.Metadata.Session);
        Assert.Equal(EegDannVersion.Current, read.Metadata.EegDannVersion);
    }

    [Fact]
    public async Task PartFileIsAValidRecordingAfterEveryRowGroup()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("live.parquet");
        await using var writer = await RecordingPartWriter.CreateAsync(path, Source.Value.Info, Metadata, rowGroupSeconds: 2);

        await FeedAsync(writer, 0, 1000, seed: 2);

        // 320 samples per row group: three are durable, 40 samples wait in the buffer.
        Assert.Equal(960, writer.DurableSamples);
        string copy = dir.File("copy.parquet");
        File.Copy(writer.PartPath, copy);
        await using var reader = await ParquetSampleReader.OpenAsync(copy);
        Assert.Equal(960, reader.SampleCount);
        Assert.Equal(3, reader.BlockCount);
    }

    [Fact]
    public async Task AbandonedWriterIsRecoveredUpToItsLastCompleteRowGroupWithItsEvents()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("crash.parquet");
        var writer = await RecordingPartWriter.CreateAsync(path, Source.Value.Info, Metadata);
        writer.AddEvent(new RecordingEvent(1.0, 4.2, "T1", 160));
        await FeedAsync(writer, 0, 1500, seed: 3);

        // Saved with the second row group (samples 800-1599), but at a sample of the third, which the crash loses.
        writer.AddEvent(new RecordingEvent(10.5, 4.2, "T0", 1680));
        await FeedAsync(writer, 1500, 1968, seed: 4);
        writer.AddEvent(new RecordingEvent(11.0, 4.2, "T2", 1760)); // after the last durable row group: lost with it

        // The process dies: nothing is flushed or completed.
        await writer.DisposeAsync();
        Assert.False(File.Exists(path));

        var summary = await RecordingPartWriter.RecoverAsync(path + ".part");

        Assert.Equal(1600, summary.SampleCount);
        Assert.Equal([new RecordingEvent(1.0, 4.2, "T1", 160)], summary.Events);
        AssertSamplesEqual(await ParquetRecordingReader.ReadAsync(path), 1600);
        Assert.False(File.Exists(path + ".part"));
        Assert.False(File.Exists(path + ".part.state"));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.99)]
    public async Task CrashInsideARowGroupIsRecoveredToThePreviousRowGroup(double fractionOfGroupWritten)
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("torn.parquet");

        var summary = await RecoverTornThirdRowGroupAsync(path, seed: 4, fractionOfGroupWritten, durableState => durableState);

        Assert.Equal(1600, summary.SampleCount);
        AssertSamplesEqual(await ParquetRecordingReader.ReadAsync(path), 1600);
    }

    [Fact]
    public async Task StateFileWrittenWithTheFooterAsAnEscapedStringIsStillRecovered()
    {
        // Builds before 2026-12-07 wrote the footer as a .NET string, which the default JSON
        // encoder escapes ('+' as \u002B); a part file such a build left must still recover.
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("older.parquet");
        string? older = null;

        var summary = await RecoverTornThirdRowGroupAsync(path, seed: 8, 0.5, durableState =>
        {
            var state = JsonNode.Parse(durableState)!.AsObject();
            state["footer"] = Convert.ToBase64String(Convert.FromBase64String(state["footer"]!.GetValue<string>()));
            older = state.ToJsonString();
            return Encoding.UTF8.GetBytes(older);
        });

        Assert.Contains("\\u002B", older, StringComparison.Ordinal);
        Assert.Equal(1600, summary.SampleCount);
        AssertSamplesEqual(await ParquetRecordingReader.ReadAsync(path), 1600);
    }

    /// <summary>
    /// Writes two row groups durably, then a third, and leaves the files as a crash while the third
    /// was being appended would: the part file torn <paramref name="fractionOfGroupWritten"/> of the
    /// way into it, the state file the durable one as <paramref name="stateAsLeft"/> gives it. Recovers.
    /// </summary>
    private static async Task<RecordingSummary> RecoverTornThirdRowGroupAsync(string path, int seed, double fractionOfGroupWritten, Func<byte[], byte[]> stateAsLeft)
    {
        var writer = await RecordingPartWriter.CreateAsync(path, Source.Value.Info, Metadata);
        await FeedAsync(writer, 0, 1600, seed);
        long durableLength = new FileInfo(writer.PartPath).Length;
        byte[] durableState = File.ReadAllBytes(writer.StatePath);
        await FeedAsync(writer, 1600, 2400, seed + 1);
        long fullLength = new FileInfo(writer.PartPath).Length;
        await writer.DisposeAsync();

        // The third row group's bytes are torn, the old footer is overwritten, and the state file
        // still describes two row groups.
        File.WriteAllBytes(writer.StatePath, stateAsLeft(durableState));
        await using (var stream = new FileStream(writer.PartPath, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.SetLength(durableLength + (long)((fullLength - durableLength) * fractionOfGroupWritten));
        }

        return await RecordingPartWriter.RecoverAsync(writer.PartPath);
    }

    [Fact]
    public async Task CrashAfterTheRowGroupButBeforeTheStateFileKeepsTheNewerRowGroup()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("late.parquet");
        var writer = await RecordingPartWriter.CreateAsync(path, Source.Value.Info, Metadata);
        await FeedAsync(writer, 0, 1600, seed: 6);
        byte[] olderState = File.ReadAllBytes(writer.StatePath);
        await FeedAsync(writer, 1600, 2400, seed: 7);
        await writer.DisposeAsync();
        File.WriteAllBytes(writer.StatePath, olderState);

        var summary = await RecordingPartWriter.RecoverAsync(writer.PartPath);

        Assert.Equal(2400, summary.SampleCount);
        AssertSamplesEqual(await ParquetRecordingReader.ReadAsync(path), 2400);
    }

    [Fact]
    public async Task PartFileThatIsCorruptAndHasNoStateIsRefusedNamingIt()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string part = dir.File("lost.parquet.part");
        File.WriteAllBytes(part, [1, 2, 3, 4, 5]);

        var e = await Assert.ThrowsAsync<RecordingFormatException>(() => RecordingPartWriter.RecoverAsync(part));

        Assert.Equal(part, e.FilePath);
        Assert.Contains("cannot be recovered", e.Message);
        Assert.False(File.Exists(dir.File("lost.parquet")));
    }

    [Fact]
    public async Task GapInTheStreamIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        await using var writer = await RecordingPartWriter.CreateAsync(dir.File("gap.parquet"), new SignalInfo(100, ["A"]), Metadata);
        await writer.AppendAsync(new SampleBlock(0, [new float[10]]));

        var e = await Assert.ThrowsAsync<ArgumentException>(() => writer.AppendAsync(new SampleBlock(15, [new float[10]])));

        Assert.Contains("starts at sample 15, expected 10", e.Message);
    }

    [Fact]
    public async Task InterleavedFramesAreWrittenChannelByChannel()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("tcp.parquet");
        var writer = await RecordingPartWriter.CreateAsync(path, new SignalInfo(100, ["A", "B"]), Metadata);
        await writer.AppendInterleavedAsync(0, new float[] { 1, 10, 2, 20, 3, 30 });
        await writer.CompleteAsync();
        await writer.DisposeAsync();

        var read = await ParquetRecordingReader.ReadAsync(path);

        Assert.Equal([1f, 2f, 3f], read.Samples[0]);
        Assert.Equal([10f, 20f, 30f], read.Samples[1]);
    }

    [Fact]
    public async Task AFileHoldsAtMostItsBoundOfRowGroupsAndRefusesMoreNamingIt()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("bounded.parquet");
        var writer = await RecordingPartWriter.CreateAsync(path, new SignalInfo(100, ["A", "B"]), Metadata, rowGroupSeconds: 1, maxRowGroups: 3);
        float[] Frames(int first, int count) => Enumerable.Range(first, count).SelectMany(i => new[] { (float)i, -i }).ToArray();

        // 100 samples per row group, three at most: 300 samples.
        Assert.Equal(300, writer.SampleCapacity);
        await writer.AppendInterleavedAsync(0, Frames(0, 250));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.AppendInterleavedAsync(250, Frames(250, 60)));
        Assert.Contains("bound of 3 row groups", e.Message);
        Assert.Contains(writer.PartPath, e.Message);
        Assert.Equal(250, writer.NextSample);
        await writer.AppendInterleavedAsync(250, Frames(250, 50));
        await writer.CompleteAsync();
        await writer.DisposeAsync();

        var read = await ParquetRecordingReader.ReadAsync(path);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (float)i), read.Samples[0]);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (float)-i), read.Samples[1]);
        await using var reader = await ParquetSampleReader.OpenAsync(path);
        Assert.Equal(3, reader.BlockCount);
    }

    [Fact]
    public async Task InterleavedChunksAreCopiedIntoTheRowGroupWithoutAllocating()
    {
        using var dir = TestData.NewTemporaryDirectory();
        await using var writer = await RecordingPartWriter.CreateAsync(dir.File("pooled.parquet"), new SignalInfo(100, ["A", "B", "C", "D"]), Metadata, rowGroupSeconds: 10);
        var chunk = new float[8 * 4];
        await writer.AppendInterleavedAsync(0, chunk);

        // 100 chunks of 8 samples stay inside the first row group (1000 samples): no commit.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 1; i <= 100; i++)
        {
            await writer.AppendInterleavedAsync(i * 8, chunk);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(808, writer.NextSample);
        Assert.True(allocated < 1000, $"{allocated} bytes allocated by 100 chunks");
    }
}
