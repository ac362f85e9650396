using System.Runtime.CompilerServices;
using EegDann.Core;
using Parquet;
using Parquet.Schema;

namespace EegDann.Recordings.Parquet;

/// <summary>
/// Reads the samples of an EegDann Parquet recording one row group at a time (the replay source
/// streams through it), after checking the file: its metadata, its columns and their types, and
/// that the sample index counts 0, 1, 2… without gaps across row groups.
/// </summary>
public sealed class ParquetSampleReader : IAsyncDisposable
{
    private readonly ParquetReader reader;
    private readonly DataField sampleField;
    private readonly DataField[] channelFields;
    private readonly long[] groupStarts;

    private ParquetSampleReader(string path, ParquetReader reader, SignalInfo info, RecordingMetadata metadata, DataField sampleField, DataField[] channelFields, long[] groupStarts, long sampleCount)
    {
        Path = path;
        this.reader = reader;
        Info = info;
        Metadata = metadata;
        this.sampleField = sampleField;
        this.channelFields = channelFields;
        this.groupStarts = groupStarts;
        SampleCount = sampleCount;
    }

    /// <summary>The samples file.</summary>
    public string Path { get; }

    /// <summary>Rate and channels.</summary>
    public SignalInfo Info { get; }

    /// <summary>Subject, run, provenance.</summary>
    public RecordingMetadata Metadata { get; }

    /// <summary>Samples per channel in the whole file.</summary>
    public long SampleCount { get; }

    /// <summary>Number of row groups (blocks).</summary>
    public int BlockCount => groupStarts.Length;

    /// <summary>Index of the first sample of each block.</summary>
    public IReadOnlyList<long> BlockStarts => groupStarts;

    /// <summary>Opens and checks <paramref name="path"/>.</summary>
    /// <exception cref="RecordingFormatException">When the file is missing, unreadable, not Parquet, or not an EegDann recording; the message names the file and, where it applies, the column.</exception>
    public static async Task<ParquetSampleReader> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = Import.EdfReader.OpenRead(path);
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(stream, null, leaveStreamOpen: false, cancellationToken);
        }
        catch (Exception e) when (CorruptData.Is(e))
        {
            await stream.DisposeAsync();
            throw new RecordingFormatException(path, $"not a readable Parquet file ({e.Message}).", e);
        }

        try
        {
            return Check(path, reader);
        }
        catch
        {
            await reader.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads block <paramref name="index"/> (a row group).</summary>
    /// <exception cref="RecordingFormatException">When its data are corrupt or its sample index is not where it should be.</exception>
    public async Task<SampleBlock> ReadBlockAsync(int index, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, groupStarts.Length);
        try
        {
            using var group = reader.OpenRowGroupReader(index);
            int rows = checked((int)group.RowCount);
            var indices = await ParquetColumns.ReadRequiredAsync<long>(Path, group, sampleField, rows, index, cancellationToken);
            for (int i = 0; i < rows; i++)
            {
                if (indices[i] != groupStarts[index] + i)
                {
                    throw new RecordingFormatException(Path,
                        $"column '{RecordingParquet.SampleColumn}' in row group {index} has {indices[i]} at row {i}, expected {groupStarts[index] + i}: the sample index must count 0, 1, 2… without gaps.");
                }
            }

            var samples = new float[channelFields.Length][];
            for (int c = 0; c < channelFields.Length; c++)
            {
                samples[c] = await ParquetColumns.ReadRequiredAsync<float>(Path, group, channelFields[c], rows, index, cancellationToken);
            }

            return new SampleBlock(groupStarts[index], samples);
        }
        catch (Exception e) when (CorruptData.Is(e))
        {
            throw new RecordingFormatException(Path, $"row group {index} cannot be read ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Yields the blocks from the one holding <paramref name="fromSample"/> to the end; the first
    /// block is trimmed to start exactly at <paramref name="fromSample"/>.
    /// </summary>
    public async IAsyncEnumerable<SampleBlock> ReadBlocksAsync(long fromSample = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromSample);
        int first = Array.BinarySearch(groupStarts, fromSample);
        if (first < 0)
        {
            first = ~first - 1;
        }

        for (int g = Math.Max(first, 0); g < groupStarts.Length; g++)
        {
            var block = await ReadBlockAsync(g, cancellationToken);
            if (block.FirstSample < fromSample)
            {
                int skip = (int)(fromSample - block.FirstSample);
                if (skip >= block.Length)
                {
                    continue;
                }

                block = new SampleBlock(fromSample, block.Samples.Select(s => s[skip..]).ToArray());
            }

            yield return block;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => reader.DisposeAsync();

    private static ParquetSampleReader Check(string path, ParquetReader reader)
    {
        var fields = reader.Schema.DataFields;
        var problems = new List<string>();
        var sample = fields.FirstOrDefault(f => f.Name == RecordingParquet.SampleColumn);
        if (sample is null)
        {
            problems.Add($"column '{RecordingParquet.SampleColumn}' (int64 sample index) is missing");
        }
        else if (sample.ClrType != typeof(long) || sample.IsArray)
        {
            problems.Add($"column '{RecordingParquet.SampleColumn}' is {sample.ClrType.Name}, expected int64");
        }

        var floatColumns = fields.Where(f => f.ClrType == typeof(float) && !f.IsArray).Select(f => f.Name).ToList();
        if (problems.Count > 0)
        {
            throw new RecordingFormatException(path, "not a valid EegDann recording: " + string.Join("; ", problems) + ".");
        }

        var (info, metadata) = RecordingParquet.ParseSamplesMetadata(path, reader.CustomMetadata, floatColumns);
        var channelFields = info.Channels.Select(c => fields.First(f => f.Name == c)).ToArray();
        var starts = new long[reader.RowGroupCount];
        long total = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            starts[g] = total;
            total += reader.RowGroups[g].RowCount;
        }

        if (reader.CustomMetadata.TryGetValue(RecordingParquet.Keys.SampleCount, out var declared) && declared != total.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new RecordingFormatException(path, $"metadata '{RecordingParquet.Keys.SampleCount}' says {declared} samples but the row groups hold {total}.");
        }

        return new ParquetSampleReader(path, reader, info, metadata, sample!, channelFields, starts, total);
    }
}
