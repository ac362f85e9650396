using EegDann.Core;
using Parquet;
using Parquet.Schema;

namespace EegDann.Recordings.Parquet;

/// <summary>
/// Writes a <see cref="Recording"/> as EegDann's two Parquet files (layout: <see cref="RecordingParquet"/>),
/// atomically: both files appear together or neither does.
/// </summary>
public static class ParquetRecordingWriter
{
    /// <summary>Default length of a row group: long enough to compress well, short enough to seek.</summary>
    public const double DefaultRowGroupSeconds = 5.0;

    /// <summary>Writes <paramref name="recording"/> to <paramref name="samplesPath"/> and its events file beside it.</summary>
    /// <param name="recording">What to write; its metadata's <see cref="RecordingMetadata.EegDannVersion"/> is replaced by this build's version when null.</param>
    /// <param name="samplesPath">Target samples file (<c>NAME.parquet</c>); the directory must exist.</param>
    /// <param name="rowGroupSeconds">Seconds of samples per row group, &gt; 0.</param>
    /// <param name="cancellationToken">Cancels before anything is renamed into place.</param>
    public static Task WriteAsync(Recording recording, string samplesPath, double rowGroupSeconds = DefaultRowGroupSeconds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentException.ThrowIfNullOrEmpty(samplesPath);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowGroupSeconds);
        int rowsPerGroup = RowsPerGroup(recording.Info.SampleRateHz, rowGroupSeconds);
        return AtomicFile.WriteAllAsync(
            [
                (RecordingParquet.EventsPathFor(samplesPath), stream => WriteEventsAsync(stream, recording.Events, recording.Metadata.Subject, cancellationToken)),
                (samplesPath, stream => WriteSamplesAsync(stream, recording, rowsPerGroup, cancellationToken)),
            ],
            cancellationToken);
    }

    /// <summary>Rows in a row group of <paramref name="seconds"/> at <paramref name="sampleRateHz"/> (at least 1).</summary>
    public static int RowsPerGroup(double sampleRateHz, double seconds) => (int)Math.Clamp(Math.Round(sampleRateHz * seconds), 1, 1 << 24);

    /// <summary>Writes the samples file of <paramref name="recording"/> to <paramref name="stream"/>.</summary>
    public static async Task WriteSamplesAsync(Stream stream, Recording recording, int rowsPerGroup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(recording);
        var schema = RecordingParquet.SamplesSchema(recording.Info);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream, RecordingParquet.WriterOptions(recording.Info), append: false, cancellationToken);
        writer.CustomMetadata = RecordingParquet.SamplesMetadata(recording.Info, recording.Metadata, recording.SampleCount);
        for (int start = 0; start < recording.SampleCount; start += rowsPerGroup)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(rowsPerGroup, recording.SampleCount - start);
            await WriteRowGroupAsync(writer, schema, start, recording.Samples, start, count, new long[count], cancellationToken);
        }
    }

    /// <summary>Writes one row group: sample indices <paramref name="firstSample"/>… and <paramref name="count"/> samples of each channel from <paramref name="offset"/>;
    /// <paramref name="index"/> is scratch for the sample-index column, at least <paramref name="count"/> long (a live writer reuses one).</summary>
    internal static async Task WriteRowGroupAsync(ParquetWriter writer, ParquetSchema schema, long firstSample, float[][] samples, int offset, int count, long[] index, CancellationToken cancellationToken)
    {
        var fields = schema.DataFields;
        for (int i = 0; i < count; i++)
        {
            index[i] = firstSample + i;
        }

        using var group = writer.CreateRowGroup();
        await group.WriteAsync<long>(fields[0], index.AsMemory(0, count), null, null, cancellationToken);
        for (int c = 0; c < samples.Length; c++)
        {
            await group.WriteAsync<float>(fields[c + 1], samples[c].AsMemory(offset, count), null, null, cancellationToken);
        }

        group.CompleteValidate();
    }

    /// <summary>Writes an events file of <paramref name="events"/> to <paramref name="stream"/>.</summary>
    public static async Task WriteEventsAsync(Stream stream, IReadOnlyList<RecordingEvent> events, string subject, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(events);
        var schema = RecordingParquet.EventsSchema;
        var fields = schema.DataFields;
        await using var writer = await ParquetWriter.CreateAsync(schema, stream, new ParquetOptions { CompressionMethod = CompressionMethod.Zstd }, append: false, cancellationToken);
        writer.CustomMetadata = new Dictionary<string, string>
        {
            [RecordingParquet.Keys.Format] = RecordingParquet.EventsFormat,
            [RecordingParquet.Keys.Subject] = subject,
            [RecordingParquet.Keys.Version] = EegDannVersion.Current,
        };

        // An empty events file still has one (empty) row group so every reader sees the columns' types.
        using var group = writer.CreateRowGroup();
        await group.WriteAsync<double>(fields[0], events.Select(e => e.OnsetSeconds).ToArray(), null, null, cancellationToken);
        await group.WriteAsync<double>(fields[1], events.Select(e => e.DurationSeconds).ToArray(), null, null, cancellationToken);
        await group.WriteAsync(fields[2], events.Select(e => e.Label).ToArray(), null);
        await group.WriteAsync<long>(fields[3], events.Select(e => e.Sample).ToArray(), null, null, cancellationToken);
        group.CompleteValidate();
    }
}
