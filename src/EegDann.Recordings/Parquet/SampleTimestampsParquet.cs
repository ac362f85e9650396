using Parquet;
using Parquet.Schema;

namespace EegDann.Recordings.Parquet;

/// <summary>
/// A recording's per-sample source time stamps beside it, <c>NAME.timestamps.parquet</c> (e.g.
/// from Lab Streaming Layer): columns <c>sample</c> (int64, the recording's sample index),
/// <c>source_timestamp_s</c> (the source's clock) and <c>time_correction_s</c> (add it to get the
/// recorder's clock; NaN before the first estimate), plus key-value metadata.
/// </summary>
public static class SampleTimestampsParquet
{
    /// <summary>The time-stamps file of a recording's samples file: <c>NAME.parquet</c> → <c>NAME.timestamps.parquet</c>.</summary>
    public static string PathFor(string samplesPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(samplesPath);
        string name = samplesPath.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? samplesPath[..^".parquet".Length] : samplesPath;
        return name + ".timestamps.parquet";
    }

    /// <summary>Writes the columns (equal lengths) to <paramref name="stream"/>.</summary>
    public static async Task WriteAsync(Stream stream, long[] samples, double[] timestamps, double[] corrections, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(corrections);
        if (timestamps.Length != samples.Length || corrections.Length != samples.Length)
        {
            throw new ArgumentException("the time-stamp columns must have one value per sample");
        }

        var sample = new DataField<long>("sample", nullable: false);
        var stamp = new DataField<double>("source_timestamp_s", nullable: false);
        var correction = new DataField<double>("time_correction_s", nullable: false);
        var schema = new ParquetSchema(sample, stamp, correction);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream, new ParquetOptions { CompressionMethod = CompressionMethod.Zstd }, append: false, cancellationToken);
        writer.CustomMetadata = new Dictionary<string, string>(metadata);
        using var group = writer.CreateRowGroup();
        await group.WriteAsync<long>(sample, samples, null, null, cancellationToken);
        await group.WriteAsync<double>(stamp, timestamps, null, null, cancellationToken);
        await group.WriteAsync<double>(correction, corrections, null, null, cancellationToken);
    }

    /// <summary>Reads the columns back.</summary>
    /// <exception cref="RecordingFormatException">When the file is missing or lacks the columns (the message names it).</exception>
    public static async Task<(long[] Samples, double[] Timestamps, double[] Corrections, IReadOnlyDictionary<string, string> Metadata)> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            await using var reader = await ParquetReader.CreateAsync(stream, null, leaveStreamOpen: false, cancellationToken);
            var fields = reader.Schema.GetDataFields();
            DataField Field(string name) => fields.FirstOrDefault(f => f.Name == name) ?? throw new RecordingFormatException(path, $"no column '{name}'");
            var samples = new List<long>();
            var stamps = new List<double>();
            var corrections = new List<double>();
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                int rows = checked((int)group.RowCount);
                samples.AddRange(await ParquetColumns.ReadRequiredAsync<long>(path, group, Field("sample"), rows, g, cancellationToken));
                stamps.AddRange(await ParquetColumns.ReadRequiredAsync<double>(path, group, Field("source_timestamp_s"), rows, g, cancellationToken));
                corrections.AddRange(await ParquetColumns.ReadRequiredAsync<double>(path, group, Field("time_correction_s"), rows, g, cancellationToken));
            }

            return (samples.ToArray(), stamps.ToArray(), corrections.ToArray(), reader.CustomMetadata);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RecordingFormatException(path, $"cannot read the time stamps ({e.Message})", e);
        }
    }
}
