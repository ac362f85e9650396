using System.Text.Json;
using System.Text.Json.Serialization;
using EegDann.Core;

namespace EegDann.Recordings.Parquet;

/// <summary>The part writer's durable state (the state file) and the recovery of a part file left by a crash.</summary>
public sealed partial class RecordingPartWriter
{
    /// <summary>
    /// Turns a part file left by a crash into a complete recording (samples and events) holding
    /// everything up to the last durable row group, and removes the part and state files.
    /// </summary>
    /// <param name="partPath">The part file, <c>NAME.parquet.part</c>.</param>
    /// <param name="cancellationToken">Cancels before the rename.</param>
    /// <returns>The recovered recording's summary.</returns>
    /// <exception cref="RecordingFormatException">When neither the part file nor its state allows recovery.</exception>
    public static async Task<RecordingSummary> RecoverAsync(string partPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(partPath);
        string full = Path.GetFullPath(partPath);
        if (!full.EndsWith(PartSuffix, StringComparison.Ordinal))
        {
            throw new RecordingFormatException(full, $"not a part file (its name must end in '{PartSuffix}').");
        }

        if (!File.Exists(full))
        {
            throw new RecordingFormatException(full, "the part file does not exist.");
        }

        string finalPath = full[..^PartSuffix.Length];
        string statePath = full + StateSuffix;
        PartState? state = File.Exists(statePath) ? ReadState(statePath) : null;
        long validSamples = await ValidSampleCountAsync(full, cancellationToken);
        if (state is null)
        {
            if (validSamples < 0)
            {
                throw new RecordingFormatException(full, "the part file is not a valid Parquet file and its state file is missing, so it cannot be recovered.");
            }
        }
        else if (validSamples < state.Samples)
        {
            // The crash hit while a row group was being appended: restore the last durable state.
            await using (var stream = new FileStream(full, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                if (stream.Length < state.DataEnd)
                {
                    throw new RecordingFormatException(full, $"the part file is {stream.Length} bytes, shorter than its last durable state ({state.DataEnd} bytes of data); it cannot be recovered.");
                }

                stream.SetLength(state.DataEnd);
                stream.Seek(0, SeekOrigin.End);
                await stream.WriteAsync(state.Footer, cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            if (await ValidSampleCountAsync(full, cancellationToken) != state.Samples)
            {
                throw new RecordingFormatException(full, "restoring the last durable state did not give a readable file; it cannot be recovered.");
            }
        }

        string subject;
        long samples;
        await using (var reader = await ParquetSampleReader.OpenAsync(full, cancellationToken))
        {
            subject = reader.Metadata.Subject;
            samples = reader.SampleCount;
        }

        // An event saved with a row group may mark a sample of a later one that the crash lost (a marker placed as
        // soon as its sample arrived): the recording keeps only the events of the samples it keeps.
        var events = (state?.Events ?? []).Where(e => e.Sample < samples).ToList();
        await FinishAsync(full, finalPath, events, subject, cancellationToken);
        return await RecordingSummary.ReadAsync(finalPath, cancellationToken);
    }

    private static async Task FinishAsync(string partPath, string finalPath, IReadOnlyList<RecordingEvent> events, string subject, CancellationToken cancellationToken)
    {
        var sorted = events.OrderBy(e => e.OnsetSeconds).ToList();
        await AtomicFile.WriteAsync(RecordingParquet.EventsPathFor(finalPath), s => ParquetRecordingWriter.WriteEventsAsync(s, sorted, subject, cancellationToken), cancellationToken);
        File.Move(partPath, finalPath, overwrite: false);
        File.Delete(partPath + StateSuffix);
    }

    /// <summary>Samples in a part file if it is a valid recording whose every row group reads, else -1.</summary>
    private static async Task<long> ValidSampleCountAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var reader = await ParquetSampleReader.OpenAsync(path, cancellationToken);
            for (int g = 0; g < reader.BlockCount; g++)
            {
                await reader.ReadBlockAsync(g, cancellationToken);
            }

            return reader.SampleCount;
        }
        catch (RecordingFormatException)
        {
            return -1;
        }
    }

    private static readonly JsonSerializerOptions StateJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static PartState ReadState(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<PartState>(File.ReadAllBytes(path), StateJson)
                ?? throw new RecordingFormatException(path, "the state file is empty.");
        }
        catch (JsonException e)
        {
            throw new RecordingFormatException(path, $"the state file is not valid JSON ({e.Message}).", e);
        }
    }

    /// <summary>The durable state of a part file.</summary>
    /// <param name="Version">State format version (1).</param>
    /// <param name="DataEnd">Byte offset where the footer of the durable state starts.</param>
    /// <param name="Footer">The bytes from <paramref name="DataEnd"/> to the end: footer, length, PAR1 (Base64 in the file).</param>
    /// <param name="Samples">Samples per channel in the durable state.</param>
    /// <param name="Events">Events added up to the durable state.</param>
    private sealed record PartState(
        int Version,
        long DataEnd,
        ReadOnlyMemory<byte> Footer,
        long Samples,
        [property: JsonPropertyName("events")] IReadOnlyList<RecordingEvent> Events);
}
