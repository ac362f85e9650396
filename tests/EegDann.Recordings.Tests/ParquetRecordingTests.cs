using DuckDB.NET.Data;
using EegDann.Core;
using EegDann.Recordings.Import;
using EegDann.Recordings.Parquet;
using EegDann.Recordings.Tests.Support;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

public sealed class ParquetRecordingTests
{
    private static readonly Lazy<Recording> S001R04 = new(() => RecordingImporter.Read(TestData.RawEdf("S001", "R04")));

    [Fact]
    public async Task RoundTripIsExactForSamplesEventsAndMetadata()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var original = S001R04.Value;
        string path = dir.File("S001R04.parquet");

        await ParquetRecordingWriter.WriteAsync(original, path);
        var read = await ParquetRecordingReader.ReadAsync(path);

        Assert.Equal(original.Info, read.Info);
        for (int c = 0; c < original.Info.ChannelCount; c++)
        {
            Assert.Equal(original.Samples[c], read.Samples[c]);
        }

        Assert.Equal(original.Events, read.Events);
        Assert.Equal(original.Metadata.Subject, read.Metadata.Subject);
        Assert.Equal(original.Metadata.Run, read.Metadata.Run);
        Assert.Equal(original.Metadata.SourceFile, read.Metadata.SourceFile);
        Assert.Equal(original.Metadata.SourceSha256, read.Metadata.SourceSha256);
        Assert.Equal(original.Metadata.OriginalChannelLabels, read.Metadata.OriginalChannelLabels);
        Assert.Equal(original.Metadata.ChannelUnits, read.Metadata.ChannelUnits);
        Assert.Equal(EegDannVersion.Current, read.Metadata.EegDannVersion);
        Assert.Equal(original.Metadata.Extra.OrderBy(kv => kv.Key), read.Metadata.Extra.OrderBy(kv => kv.Key));
    }

    [Fact]
    public async Task DuckDbReadsTheSamplesEventsAndMetadata()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var original = S001R04.Value;
        string path = dir.File("S001R04.parquet");
        await ParquetRecordingWriter.WriteAsync(original, path);

        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();

        command.CommandText = $"SELECT count(*), min(sample), max(sample), sum(\"C3\"::DOUBLE) FROM read_parquet('{path}')";
        using (var reader = command.ExecuteReader())
        {
            Assert.True(reader.Read());
            Assert.Equal(20000L, reader.GetInt64(0));
            Assert.Equal(0L, reader.GetInt64(1));
            Assert.Equal(19999L, reader.GetInt64(2));
            Assert.Equal(original.Samples[8].Sum(v => (double)v), reader.GetDouble(3), 6);
        }

        command.CommandText = $"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{path}'))";
        var columns = new List<(string Name, string Type)>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                columns.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        Assert.Equal(65, columns.Count);
        Assert.Equal(("sample", "BIGINT"), columns[0]);
        Assert.All(columns.Skip(1), c => Assert.Equal("FLOAT", c.Type));
        Assert.Equal(original.Info.Channels, columns.Skip(1).Select(c => c.Name));

        command.CommandText = $"SELECT \"Cz\" FROM read_parquet('{path}') WHERE sample = 12345";
        Assert.Equal(original.Samples[original.Info.IndexOf("Cz")][12345], (float)command.ExecuteScalar()!);

        command.CommandText = $"SELECT decode(value) FROM parquet_kv_metadata('{path}') WHERE decode(key) = 'subject'";
        Assert.Equal("S001", command.ExecuteScalar());
        command.CommandText = $"SELECT decode(value) FROM parquet_kv_metadata('{path}') WHERE decode(key) = 'sample_rate_hz'";
        Assert.Equal("160", command.ExecuteScalar());

        command.CommandText = $"SELECT count(DISTINCT row_group_id), max(row_group_num_rows) FROM parquet_metadata('{path}')";
        using (var reader = command.ExecuteReader())
        {
            Assert.True(reader.Read());
            Assert.Equal(25L, reader.GetInt64(0));
            Assert.Equal(800L, reader.GetInt64(1));
        }

        string events = RecordingParquet.EventsPathFor(path);
        command.CommandText = $"SELECT count(*), count(*) FILTER (WHERE label = 'T0'), min(onset_s), max(sample) FROM read_parquet('{events}')";
        using (var reader = command.ExecuteReader())
        {
            Assert.True(reader.Read());
            Assert.Equal(30L, reader.GetInt64(0));
            Assert.Equal(15L, reader.GetInt64(1));
            Assert.Equal(0.0, reader.GetDouble(2));
            Assert.Equal(original.Events[^1].Sample, reader.GetInt64(3));
        }
    }

    [Fact]
    public async Task StreamingReaderYieldsRowGroupsThatConcatenateToTheRecording()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var original = S001R04.Value;
        string path = dir.File("S001R04.parquet");
        await ParquetRecordingWriter.WriteAsync(original, path, rowGroupSeconds: 3);

        await using var reader = await ParquetSampleReader.OpenAsync(path);
        Assert.Equal(20000, reader.SampleCount);
        Assert.Equal(42, reader.BlockCount);
        long next = 0;
        await foreach (var block in reader.ReadBlocksAsync())
        {
            Assert.Equal(next, block.FirstSample);
            Assert.True(block.Length <= 480);
            for (int c = 0; c < block.Samples.Length; c++)
            {
                Assert.Equal(original.Samples[c].AsSpan((int)next, block.Length).ToArray(), block.Samples[c]);
            }

            next += block.Length;
        }

        Assert.Equal(20000, next);
    }

    [Fact]
    public async Task StreamingFromTheMiddleStartsAtTheAskedSample()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var original = S001R04.Value;
        string path = dir.File("S001R04.parquet");
        await ParquetRecordingWriter.WriteAsync(original, path);

        await using var reader = await ParquetSampleReader.OpenAsync(path);
        var first = await reader.ReadBlocksAsync(fromSample: 1234).FirstAsync();

        Assert.Equal(1234, first.FirstSample);
        Assert.Equal(1600 - 1234, first.Length);
        Assert.Equal(original.Samples[5][1234], first.Samples[5][0]);
    }

    [Fact]
    public async Task CancelledWriteLeavesNoFileBehind()
    {
        using var dir = TestData.NewTemporaryDirectory();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ParquetRecordingWriter.WriteAsync(S001R04.Value, dir.File("x.parquet"), cancellationToken: cancel.Token));

        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task EmptyEventListGivesAReadableEventsFile()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var info = new SignalInfo(100, ["A", "B"]);
        var recording = new Recording(info, [new float[250], new float[250]], [], new RecordingMetadata { Subject = "s" });
        string path = dir.File("quiet.parquet");

        await ParquetRecordingWriter.WriteAsync(recording, path);
        var read = await ParquetRecordingReader.ReadAsync(path);

        Assert.Empty(read.Events);
        Assert.Equal(250, read.SampleCount);
        Assert.Equal(["uV", "uV"], read.Metadata.ChannelUnits);
    }
}
