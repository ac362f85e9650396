using EegDann.Core;
using Parquet;
using Parquet.Schema;

namespace EegDann.Recordings.Parquet;

/// <summary>
/// A <see cref="FeatureTable"/> as a Parquet file any standard reader opens (pandas, DuckDB,
/// Spark): one row per epoch, columns <c>subject</c>, <c>recording</c>, <c>start_sample</c>,
/// <c>label</c> (null for unlabeled windows), then one double column per feature
/// (<c>logvar_C3</c>, …). Key-value metadata: the pipeline, its fitted state, the EegDann version.
/// </summary>
public static class FeatureTableParquet
{
    /// <summary>Format tag in the key-value metadata.</summary>
    public const string Format = "eegdann-features/1";

    /// <summary>Rows per row group.</summary>
    public const int RowsPerGroup = 50_000;

    private static readonly string[] Fixed = ["subject", "recording", "start_sample", "label"];

    /// <summary>Writes <paramref name="table"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    /// <param name="table">The features.</param>
    /// <param name="path">Target file; its directory must exist.</param>
    /// <param name="metadata">Extra key-value metadata (e.g. <c>eegdann.pipeline</c>), or null.</param>
    /// <param name="cancellationToken">Cancels before the file is renamed into place.</param>
    /// <exception cref="ArgumentException">When a feature is named like one of the fixed columns.</exception>
    public static Task WriteAsync(FeatureTable table, string path, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var clash = table.FeatureNames.FirstOrDefault(n => Fixed.Contains(n, StringComparer.Ordinal));
        if (clash != null)
        {
            throw new ArgumentException($"feature '{clash}' has the name of a fixed column.", nameof(table));
        }

        return AtomicFile.WriteAsync(path, stream => WriteAsync(stream, table, metadata, cancellationToken), cancellationToken);
    }

    /// <summary>Writes <paramref name="table"/> to <paramref name="stream"/>.</summary>
    public static async Task WriteAsync(Stream stream, FeatureTable table, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(table);
        var fields = new List<DataField>
        {
            new DataField<string>("subject", nullable: false),
            new DataField<string>("recording", nullable: false),
            new DataField<long>("start_sample", nullable: false),
            new DataField<string>("label", nullable: true),
        };
        fields.AddRange(table.FeatureNames.Select(n => new DataField<double>(n, nullable: false)));
        var schema = new ParquetSchema(fields.Cast<Field>().ToArray());
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Zstd };
        await using var writer = await ParquetWriter.CreateAsync(schema, stream, options, append: false, cancellationToken);
        var kv = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["eegdann.format"] = Format,
            ["eegdann.version"] = EegDannVersion.Current,
            ["eegdann.rows"] = table.RowCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        writer.CustomMetadata = kv;

        // Even an empty table gets one (empty) row group so readers see the columns' types.
        for (int start = 0; start < Math.Max(1, table.RowCount); start += RowsPerGroup)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(RowsPerGroup, table.RowCount - start);
            var rows = table.Rows.Skip(start).Take(count).ToArray();
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(fields[0], rows.Select(r => r.Subject).ToArray(), null);
            await group.WriteAsync(fields[1], rows.Select(r => r.Recording).ToArray(), null);
            await group.WriteAsync<long>(fields[2], rows.Select(r => r.StartSample).ToArray(), null, null, cancellationToken);
            await group.WriteAsync(fields[3], rows.Select(r => r.Label).ToArray(), null);
            var column = new double[count];
            for (int f = 0; f < table.FeatureCount; f++)
            {
                for (int r = 0; r < count; r++)
                {
                    column[r] = table.Values[((start + r) * table.FeatureCount) + f];
                }

                await group.WriteAsync<double>(fields[4 + f], column, null, null, cancellationToken);
            }

            group.CompleteValidate();
        }
    }

    /// <summary>Reads a file written by <see cref="WriteAsync(FeatureTable, string, IReadOnlyDictionary{string, string}?, CancellationToken)"/> (for tests and tools).</summary>
    /// <exception cref="RecordingFormatException">When the file is not a feature table.</exception>
    public static async Task<(FeatureTable Table, IReadOnlyDictionary<string, string> Metadata)> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            await using var reader = await ParquetReader.CreateAsync(stream, null, leaveStreamOpen: false, cancellationToken);
            var fields = reader.Schema.DataFields;
            if (fields.Length < 4 || !fields.Take(4).Select(f => f.Name).SequenceEqual(Fixed))
            {
                throw new RecordingFormatException(path, $"not a feature table: the first columns must be {string.Join(", ", Fixed)}.");
            }

            var names = fields.Skip(4).Select(f => f.Name).ToArray();
            var rows = new List<EpochInfo>();
            var values = new List<double>();
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                int n = checked((int)group.RowCount);
                var subject = new string[n];
                var recording = new string[n];
                var start = new long[n];
                var label = new string?[n];
                await group.ReadAsync(fields[0], subject, null, cancellationToken);
                await group.ReadAsync(fields[1], recording, null, cancellationToken);
                await group.ReadAsync<long>(fields[2], start, null, cancellationToken);
                await group.ReadAsync(fields[3], label, null, cancellationToken);
                var columns = new double[names.Length][];
                for (int f = 0; f < names.Length; f++)
                {
                    columns[f] = new double[n];
                    await group.ReadAsync<double>(fields[4 + f], columns[f], null, cancellationToken);
                }

                for (int r = 0; r < n; r++)
                {
                    rows.Add(new EpochInfo(subject[r], recording[r], start[r], label[r]));
                    for (int f = 0; f < names.Length; f++)
                    {
                        values.Add(columns[f][r]);
                    }
                }
            }

            return (new FeatureTable(names, rows, values.ToArray()), new Dictionary<string, string>(reader.CustomMetadata));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            throw new RecordingFormatException(path, $"not a readable feature table ({e.Message}).", e);
        }
    }
}
