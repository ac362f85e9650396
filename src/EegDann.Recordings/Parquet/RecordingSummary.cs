using EegDann.Core;

namespace EegDann.Recordings.Parquet;

/// <summary>What a Parquet recording holds, without its samples: enough for <c>eegdann info</c> and for choosing recordings.</summary>
/// <param name="Path">The samples file.</param>
/// <param name="Info">Rate and channels.</param>
/// <param name="SampleCount">Samples per channel.</param>
/// <param name="RowGroupCount">Row groups in the samples file.</param>
/// <param name="Events">Events sorted by onset.</param>
/// <param name="Metadata">Subject, run, provenance.</param>
public sealed record RecordingSummary(string Path, SignalInfo Info, long SampleCount, int RowGroupCount, IReadOnlyList<RecordingEvent> Events, RecordingMetadata Metadata)
{
    /// <summary>Reads and checks the samples file's footer and metadata, and the events file.</summary>
    /// <exception cref="RecordingFormatException">When either file is missing, corrupt or not an EegDann recording.</exception>
    public static async Task<RecordingSummary> ReadAsync(string samplesPath, CancellationToken cancellationToken = default)
    {
        await using var reader = await ParquetSampleReader.OpenAsync(samplesPath, cancellationToken);
        var events = await ParquetRecordingReader.ReadEventsAsync(RecordingParquet.EventsPathFor(samplesPath), cancellationToken);
        return new RecordingSummary(samplesPath, reader.Info, reader.SampleCount, reader.BlockCount, events, reader.Metadata);
    }
}
