using System.Buffers.Binary;

namespace EegDann.Recordings.Parquet;

/// <summary>
/// The per-sample time stamps of a recording being written live, on disk as they arrive
/// (<c>NAME.timestamps.spill</c> beside <c>NAME.parquet.part</c>): an 8-byte tag, then one
/// record of 16 bytes per sample (source time stamp and time correction, little-endian doubles).
/// Made durable before the samples' row group that follows them (<see cref="Flush"/>), so a file
/// recovered from a crash has a time stamp for every sample it keeps; turned into
/// <c>NAME.timestamps.parquet</c> (<see cref="SampleTimestampsParquet"/>) when the recording
/// completes or is recovered (<see cref="ToParquetAsync"/>). Not thread-safe.
/// </summary>
public sealed class SampleTimestampsSpill : IDisposable
{
    private const int RecordBytes = 16;
    private static readonly byte[] Tag = "EEGDTS01"u8.ToArray();
    private readonly FileStream _stream;
    private readonly byte[] _record = new byte[RecordBytes];

    private SampleTimestampsSpill(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    /// <summary>The spill file.</summary>
    public string Path { get; }

    /// <summary>Time stamps appended.</summary>
    public long Count { get; private set; }

    /// <summary>The spill file of a recording's samples file: <c>NAME.parquet</c> → <c>NAME.timestamps.spill</c>.</summary>
    public static string PathFor(string samplesPath)
    {
        string parquet = SampleTimestampsParquet.PathFor(samplesPath);
        return parquet[..^".parquet".Length] + ".spill";
    }

    /// <summary>Starts the spill of <paramref name="samplesPath"/>'s time stamps.</summary>
    /// <exception cref="IOException">When it exists already or the folder cannot be written.</exception>
    public static SampleTimestampsSpill Create(string samplesPath)
    {
        string path = PathFor(samplesPath);
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        stream.Write(Tag);
        return new SampleTimestampsSpill(path, stream);
    }

    /// <summary>Appends one sample's time stamp and correction (NaN when unknown).</summary>
    public void Append(double timestamp, double correction)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(_record, timestamp);
        BinaryPrimitives.WriteDoubleLittleEndian(_record.AsSpan(8), correction);
        _stream.Write(_record);
        Count++;
    }

    /// <summary>Writes what is buffered and flushes it to the disk.</summary>
    public void Flush() => _stream.Flush(flushToDisk: true);

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    /// <summary>
    /// Writes the first <paramref name="samples"/> time stamps of the spill at <paramref name="spillPath"/> as
    /// <paramref name="timestampsPath"/> (atomically; sample indices 0, 1, …) and deletes the spill.
    /// </summary>
    /// <returns>How many were written: <paramref name="samples"/>, or fewer when the spill holds fewer.</returns>
    /// <exception cref="RecordingFormatException">When the file is not a time-stamps spill.</exception>
    public static async Task<long> ToParquetAsync(string spillPath, string timestampsPath, long samples, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(samples);
        byte[] bytes;
        await using (var stream = new FileStream(spillPath, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            var tag = new byte[Tag.Length];
            if (stream.Length < Tag.Length || await stream.ReadAtLeastAsync(tag, tag.Length, throwOnEndOfStream: false, cancellationToken) < Tag.Length || !tag.AsSpan().SequenceEqual(Tag))
            {
                throw new RecordingFormatException(spillPath, "not a time-stamps spill of EegDann (no EEGDTS01 tag)");
            }

            // A crash may have cut the last record: only whole ones count.
            long count = Math.Min(samples, (stream.Length - Tag.Length) / RecordBytes);
            bytes = new byte[checked(count * RecordBytes)];
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }

        int n = bytes.Length / RecordBytes;
        var indices = new long[n];
        var stamps = new double[n];
        var corrections = new double[n];
        for (int i = 0; i < n; i++)
        {
            indices[i] = i;
            stamps[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * RecordBytes));
            corrections[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan((i * RecordBytes) + 8));
        }

        await AtomicFile.WriteAsync(timestampsPath, s => SampleTimestampsParquet.WriteAsync(s, indices, stamps, corrections, metadata, cancellationToken), cancellationToken);
        File.Delete(spillPath);
        return n;
    }
}
