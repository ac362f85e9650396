using Parquet;
using Parquet.Schema;

namespace EegDann.Recordings.Parquet;

/// <summary>One decision of a replay or session, as <see cref="DecisionLogParquet"/> writes it.</summary>
/// <param name="Recording">The recording (file name).</param>
/// <param name="EndSample">Stream index (pipeline rate) one past the window's last sample.</param>
/// <param name="TimeMilliseconds">Time of the window's last sample, ms since the stream's start.</param>
/// <param name="Command">The command: a class name or <c>none</c>.</param>
/// <param name="Reason">Fail-safe reason, or <c>none</c>.</param>
/// <param name="Probabilities">Smoothed class probabilities in class order (empty for a fail-safe: written as NaN).</param>
/// <param name="BatchCommand">The batch path's command for the window, or null.</param>
/// <param name="Cue">The class cued during the whole window, or null.</param>
/// <param name="LatencyMilliseconds">Arrival of the window's last sample → decision, ms.</param>
public sealed record DecisionRow(string Recording, long EndSample, double TimeMilliseconds, string Command, string Reason, IReadOnlyList<float> Probabilities, string? BatchCommand, string? Cue, double LatencyMilliseconds);

/// <summary>
/// Decisions as a Parquet table any reader opens: columns <c>recording</c>, <c>end_sample</c>,
/// <c>t_ms</c>, <c>command</c>, <c>reason</c>, <c>batch_command</c>, <c>cue</c>, <c>latency_ms</c>,
/// then <c>p_CLASS</c> per class. Key-value metadata: model id, EegDann version.
/// </summary>
public static class DecisionLogParquet
{
    /// <summary>Format tag in the key-value metadata.</summary>
    public const string Format = "eegdann-decisions/1";

    /// <summary>Writes the decisions to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    /// <param name="rows">The decisions, in order.</param>
    /// <param name="classNames">The model's classes (one probability column each).</param>
    /// <param name="path">Target file; its directory must exist.</param>
    /// <param name="metadata">Extra key-value metadata, or null.</param>
    /// <param name="cancellationToken">Cancels before the file is renamed into place.</param>
    public static Task WriteAsync(IReadOnlyList<DecisionRow> rows, IReadOnlyList<string> classNames, string path, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentException.ThrowIfNullOrEmpty(path);
        return AtomicFile.WriteAsync(path, stream => WriteAsync(stream, rows, classNames, metadata, cancellationToken), cancellationToken);
    }

    private static async Task WriteAsync(Stream stream, IReadOnlyList<DecisionRow> rows, IReadOnlyList<string> classNames, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        var fields = new List<DataField>
        {
            new DataField<string>("recording", nullable: false),
            new DataField<long>("end_sample", nullable: false),
            new DataField<double>("t_ms", nullable: false),
            new DataField<string>("command", nullable: false),
            new DataField<string>("reason", nullable: false),
            new DataField<string>("batch_command", nullable: true),
            new DataField<string>("cue", nullable: true),
            new DataField<double>("latency_ms", nullable: false),
        };
        fields.AddRange(classNames.Select(c => new DataField<float>("p_" + c, nullable: false)));
        var schema = new ParquetSchema(fields.Cast<Field>().ToArray());
        await using var writer = await ParquetWriter.CreateAsync(schema, stream, new ParquetOptions { CompressionMethod = CompressionMethod.Zstd }, append: false, cancellationToken);
        writer.CustomMetadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["eegdann.format"] = Format,
            ["eegdann.version"] = Core.EegDannVersion.Current,
        };
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(fields[0], rows.Select(r => r.Recording).ToArray(), null);
        await group.WriteAsync<long>(fields[1], rows.Select(r => r.EndSample).ToArray(), null, null, cancellationToken);
        await group.WriteAsync<double>(fields[2], rows.Select(r => r.TimeMilliseconds).ToArray(), null, null, cancellationToken);
        await group.WriteAsync(fields[3], rows.Select(r => r.Command).ToArray(), null);
        await group.WriteAsync(fields[4], rows.Select(r => r.Reason).ToArray(), null);
        await group.WriteAsync(fields[5], rows.Select(r => r.BatchCommand).ToArray(), null);
        await group.WriteAsync(fields[6], rows.Select(r => r.Cue).ToArray(), null);
        await group.WriteAsync<double>(fields[7], rows.Select(r => r.LatencyMilliseconds).ToArray(), null, null, cancellationToken);
        for (int k = 0; k < classNames.Count; k++)
        {
            await group.WriteAsync<float>(fields[8 + k], rows.Select(r => r.Probabilities.Count > k ? r.Probabilities[k] : float.NaN).ToArray(), null, null, cancellationToken);
        }

        group.CompleteValidate();
    }
}
