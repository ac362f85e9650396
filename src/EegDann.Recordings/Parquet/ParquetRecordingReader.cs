using EegDann.Core;
using Parquet;
using Parquet.Schema;

namespace EegDann.Recordings.Parquet;

/// <summary>Reads an EegDann Parquet recording (samples and events) back into a <see cref="Recording"/>.</summary>
public static class ParquetRecordingReader
{
    /// <summary>Reads <paramref name="samplesPath"/> and the events file beside it, checking both.</summary>
    /// <param name="samplesPath">The samples file, <c>NAME.parquet</c>.</param>
    /// <param name="cancellationToken">Stops between row groups.</param>
    /// <exception cref="RecordingFormatException">When either file is missing or not a valid EegDann recording; the message names the file and the column.</exception>
    public static async Task<Recording> ReadAsync(string samplesPath, CancellationToken cancellationToken = default)
    {
        await using var reader = await ParquetSampleReader.OpenAsync(samplesPath, cancellationToken);
        if (reader.SampleCount > Array.MaxLength)
        {
            throw new RecordingFormatException(samplesPath, $"{reader.SampleCount} samples per channel do not fit in memory at once; stream it with {nameof(ParquetSampleReader)}.");
        }

        var samples = new float[reader.Info.ChannelCount][];
        for (int c = 0; c < samples.Length; c++)
        {
            samples[c] = new float[reader.SampleCount];
        }

        for (int g = 0; g < reader.BlockCount; g++)
        {
            var block = await reader.ReadBlockAsync(g, cancellationToken);
            for (int c = 0; c < samples.Length; c++)
            {
                block.Samples[c].CopyTo(samples[c], block.FirstSample);
            }
        }

        var events = await ReadEventsAsync(RecordingParquet.EventsPathFor(samplesPath), cancellationToken);
        return new Recording(reader.Info, samples, events, reader.Metadata);
    }

    /// <summary>Reads an events file.</summary>
    /// <param name="eventsPath">The events file, <c>NAME.events.parquet</c>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events sorted by onset.</returns>
    /// <exception cref="RecordingFormatException">When the file is missing, not Parquet, or lacks a column or has the wrong type; the message names the file and the column.</exception>
    public static async Task<IReadOnlyList<RecordingEvent>> ReadEventsAsync(string eventsPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventsPath);
        if (!File.Exists(eventsPath))
        {
            throw new RecordingFormatException(eventsPath, "the events file of this recording is missing.");
        }

        var stream = Import.EdfReader.OpenRead(eventsPath);
        try
        {
            await using var reader = await ParquetReader.CreateAsync(stream, null, leaveStreamOpen: false, cancellationToken);
            var fields = reader.Schema.DataFields;
            DataField Find(string name, Type type)
            {
                var field = fields.FirstOrDefault(f => f.Name == name)
                    ?? throw new RecordingFormatException(eventsPath, $"column '{name}' is missing.");
                // Parquet.Net may present UTF-8 strings as ReadOnlyMemory<char>; both read as string.
                bool fits = field.ClrType == type || (type == typeof(string) && field.ClrType == typeof(ReadOnlyMemory<char>));
                return fits && !field.IsArray
                    ? field
                    : throw new RecordingFormatException(eventsPath, $"column '{name}' is {field.ClrType.Name}, expected {type.Name}.");
            }

            var onsetField = Find("onset_s", typeof(double));
            var durationField = Find("duration_s", typeof(double));
            var labelField = Find("label", typeof(string));
            var sampleField = Find("sample", typeof(long));
            var events = new List<RecordingEvent>();
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                int rows = checked((int)group.RowCount);
                var onsets = await ParquetColumns.ReadRequiredAsync<double>(eventsPath, group, onsetField, rows, null, cancellationToken);
                var durations = await ParquetColumns.ReadRequiredAsync<double>(eventsPath, group, durationField, rows, null, cancellationToken);
                var labels = new string[rows];
                await group.ReadAsync(labelField, labels, null, cancellationToken);
                var samples = await ParquetColumns.ReadRequiredAsync<long>(eventsPath, group, sampleField, rows, null, cancellationToken);
                for (int i = 0; i < rows; i++)
                {
                    if (!double.IsFinite(onsets[i]) || !double.IsFinite(durations[i]) || durations[i] < 0)
                    {
                        throw new RecordingFormatException(eventsPath, $"row {events.Count} has onset_s {onsets[i]} and duration_s {durations[i]}; both must be finite and the duration ≥ 0.");
                    }

                    events.Add(new RecordingEvent(onsets[i], durations[i], labels[i] ?? "", samples[i]));
                }
            }

            return events.OrderBy(e => e.OnsetSeconds).ToList();
        }
        catch (Exception e) when (CorruptData.Is(e))
        {
            throw new RecordingFormatException(eventsPath, $"not a readable events file ({e.Message}).", e);
        }
    }
}
