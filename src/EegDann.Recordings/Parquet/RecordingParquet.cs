using System.Globalization;
using System.Text.Json;
using EegDann.Core;
using EegDann.Recordings.Import;
using Parquet;
using Parquet.Schema;

namespace EegDann.Recordings.Parquet;

/// <summary>
/// The layout of EegDann's Parquet recordings, shared by the writers and readers.
/// </summary>
/// <remarks>
/// <para>Samples <c>NAME.parquet</c>: an int64 column <c>sample</c> (0-based sample index) followed by
/// one non-nullable float32 column per channel, named by its clean label, in µV (or the unit listed
/// in <c>channel_units</c>). Row groups hold a few seconds each. Key-value metadata (lists as JSON
/// arrays of strings): <c>eegdann_format</c> = <c>eegdann-recording/1</c>, <c>sample_rate_hz</c>,
/// <c>channels</c>, <c>original_channels</c>, <c>channel_units</c>, <c>n_samples</c>, <c>subject</c>,
/// <c>session</c>, <c>run</c>, <c>source_file</c>, <c>source_sha256</c>, <c>eegdann_version</c>, and any
/// further facts as <c>extra.KEY</c>.</para>
/// <para>Events <c>NAME.events.parquet</c>: <c>onset_s</c> double, <c>duration_s</c> double,
/// <c>label</c> string, <c>sample</c> int64, sorted by onset; metadata <c>eegdann_format</c> =
/// <c>eegdann-events/1</c> and <c>subject</c>.</para>
/// </remarks>
public static class RecordingParquet
{
    /// <summary>Format tag of a samples file.</summary>
    public const string SamplesFormat = "eegdann-recording/1";

    /// <summary>Format tag of an events file.</summary>
    public const string EventsFormat = "eegdann-events/1";

    /// <summary>Metadata keys.</summary>
    public static class Keys
    {
        /// <summary>Format tag.</summary>
        public const string Format = "eegdann_format";

        /// <summary>Sample rate in Hz (invariant "R" format).</summary>
        public const string SampleRate = "sample_rate_hz";

        /// <summary>Clean channel labels (JSON array), the column names.</summary>
        public const string Channels = "channels";

        /// <summary>Labels as the source spelled them (JSON array).</summary>
        public const string OriginalChannels = "original_channels";

        /// <summary>Unit of each channel (JSON array).</summary>
        public const string ChannelUnits = "channel_units";

        /// <summary>Samples per channel.</summary>
        public const string SampleCount = "n_samples";

        /// <summary>Subject.</summary>
        public const string Subject = "subject";

        /// <summary>Session (absent when unknown).</summary>
        public const string Session = "session";

        /// <summary>Run (absent when unknown).</summary>
        public const string Run = "run";

        /// <summary>Source file name.</summary>
        public const string SourceFile = "source_file";

        /// <summary>Source file SHA-256, lower-case hex.</summary>
        public const string SourceSha256 = "source_sha256";

        /// <summary>Version of EegDann that wrote the file.</summary>
        public const string Version = "eegdann_version";

        /// <summary>Prefix of further facts.</summary>
        public const string ExtraPrefix = "extra.";
    }

    /// <summary>Name of the sample-index column.</summary>
    public const string SampleColumn = ChannelLabels.SampleColumn;

    /// <summary>The events file beside a samples file: <c>X.parquet</c> → <c>X.events.parquet</c>.</summary>
    /// <param name="samplesPath">The samples file.</param>
    public static string EventsPathFor(string samplesPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(samplesPath);
        string directory = Path.GetDirectoryName(samplesPath) ?? "";
        string name = Path.GetFileName(samplesPath);
        string stem = name.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? name[..^".parquet".Length] : name;
        return Path.Combine(directory, stem + ".events.parquet");
    }

    /// <summary>The samples schema for <paramref name="info"/>: <c>sample</c> then one float column per channel.</summary>
    public static ParquetSchema SamplesSchema(SignalInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.IndexOf(SampleColumn) >= 0)
        {
            throw new ArgumentException($"A channel may not be called '{SampleColumn}': that is the sample-index column.", nameof(info));
        }

        var fields = new List<Field> { new DataField<long>(SampleColumn, nullable: false) };
        fields.AddRange(info.Channels.Select(c => new DataField<float>(c, nullable: false)));
        return new ParquetSchema(fields);
    }

    /// <summary>The events schema.</summary>
    public static ParquetSchema EventsSchema { get; } = new(
        new DataField<double>("onset_s", nullable: false),
        new DataField<double>("duration_s", nullable: false),
        new DataField<string>("label", nullable: false),
        new DataField<long>("sample", nullable: false));

    /// <summary>
    /// Writer options: Zstandard compression at its fastest level; BYTE_STREAM_SPLIT for the float
    /// channels (it puts the exponent bytes of neighbouring samples together, which is what makes EEG
    /// floats compress) and delta encoding for the sample index.
    /// </summary>
    /// <remarks>
    /// Measured on S001R04 (5.1 MB of float32): Zstandard fastest 1.75 MB, ~40-60 ms CPU to read;
    /// Zstandard optimal 1.72 MB but ~110-170 ms to read; LZ4_RAW 2.2 MB, ~15 ms; no compression
    /// 5.2 MB. Zstandard is read by every current Parquet reader (LZ4_RAW is not by older ones),
    /// and its fastest level costs 2 % in size for reads two to three times faster.
    /// </remarks>
    public static ParquetOptions WriterOptions(SignalInfo info)
    {
        var options = new ParquetOptions
        {
            CompressionMethod = CompressionMethod.Zstd,
            CompressionLevel = System.IO.Compression.CompressionLevel.Fastest,
        };
        options.ColumnEncodingHints[SampleColumn] = EncodingHint.DeltaBinaryPacked;
        foreach (var channel in info.Channels)
        {
            options.ColumnEncodingHints[channel] = EncodingHint.ByteSplitStream;
        }

        return options;
    }

    /// <summary>The key-value metadata of a samples file.</summary>
    public static Dictionary<string, string> SamplesMetadata(SignalInfo info, RecordingMetadata metadata, long sampleCount)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(metadata);
        var result = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Keys.Format] = SamplesFormat,
            [Keys.SampleRate] = info.SampleRateHz.ToString("R", CultureInfo.InvariantCulture),
            [Keys.Channels] = JsonSerializer.Serialize(info.Channels),
            [Keys.OriginalChannels] = JsonSerializer.Serialize(metadata.OriginalChannelLabels.Count == info.ChannelCount ? metadata.OriginalChannelLabels : info.Channels),
            [Keys.ChannelUnits] = JsonSerializer.Serialize(metadata.ChannelUnits.Count == info.ChannelCount ? metadata.ChannelUnits : Enumerable.Repeat(PhysicalUnits.Microvolt, info.ChannelCount).ToList()),
            [Keys.SampleCount] = sampleCount.ToString(CultureInfo.InvariantCulture),
            [Keys.Subject] = metadata.Subject,
            [Keys.Version] = metadata.EegDannVersion ?? EegDannVersion.Current,
        };
        AddIfSet(result, Keys.Session, metadata.Session);
        AddIfSet(result, Keys.Run, metadata.Run);
        AddIfSet(result, Keys.SourceFile, metadata.SourceFile);
        AddIfSet(result, Keys.SourceSha256, metadata.SourceSha256);
        foreach (var (key, value) in metadata.Extra)
        {
            result[Keys.ExtraPrefix + key] = value;
        }

        return result;
    }

    /// <summary>Reads rate, channels and metadata back from a samples file's key-value metadata and schema.</summary>
    /// <param name="path">The file, for messages.</param>
    /// <param name="keyValues">Its key-value metadata.</param>
    /// <param name="floatColumns">Names of its float columns, in schema order.</param>
    /// <exception cref="RecordingFormatException">When something required is missing or malformed.</exception>
    public static (SignalInfo Info, RecordingMetadata Metadata) ParseSamplesMetadata(string path, IReadOnlyDictionary<string, string> keyValues, IReadOnlyList<string> floatColumns)
    {
        ArgumentNullException.ThrowIfNull(keyValues);
        ArgumentNullException.ThrowIfNull(floatColumns);
        var problems = new List<string>();
        if (keyValues.TryGetValue(Keys.Format, out var format) && format == EventsFormat)
        {
            // A glob such as S001R*.parquet picks the events files too: say what to give instead.
            string name = Path.GetFileName(path);
            string recording = name.EndsWith(".events.parquet", StringComparison.OrdinalIgnoreCase) ? name[..^".events.parquet".Length] + ".parquet" : "NAME.parquet";
            throw new RecordingFormatException(path, $"an events file, not a recording: give the recording {recording} (its events are read from this file beside it).");
        }

        if (format is not null && format != SamplesFormat)
        {
            problems.Add($"metadata '{Keys.Format}' is '{format}', expected '{SamplesFormat}'");
        }

        double rate = double.NaN;
        if (!keyValues.TryGetValue(Keys.SampleRate, out var rateText))
        {
            problems.Add($"metadata key '{Keys.SampleRate}' is missing");
        }
        else if (!double.TryParse(rateText, NumberStyles.Float, CultureInfo.InvariantCulture, out rate) || !double.IsFinite(rate) || rate <= 0)
        {
            problems.Add($"metadata '{Keys.SampleRate}' is '{rateText}', not a positive number of Hz");
        }

        if (!keyValues.TryGetValue(Keys.Subject, out var subject) || string.IsNullOrWhiteSpace(subject))
        {
            problems.Add($"metadata key '{Keys.Subject}' is missing");
        }

        IReadOnlyList<string> channels = floatColumns;
        if (keyValues.TryGetValue(Keys.Channels, out var channelsJson))
        {
            channels = ParseList(channelsJson, Keys.Channels, problems) ?? floatColumns;
            var missing = channels.Except(floatColumns, StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
            {
                problems.Add($"channel column{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))} listed in metadata '{Keys.Channels}' {(missing.Count > 1 ? "are" : "is")} missing or not float32");
            }
        }

        if (channels.Count == 0)
        {
            problems.Add("there are no float32 channel columns");
        }

        IReadOnlyList<string> original = OptionalList(keyValues, Keys.OriginalChannels, channels.Count, problems) ?? channels;
        IReadOnlyList<string> units = OptionalList(keyValues, Keys.ChannelUnits, channels.Count, problems)
            ?? Enumerable.Repeat(PhysicalUnits.Microvolt, channels.Count).ToList();
        if (problems.Count > 0)
        {
            throw new RecordingFormatException(path, "not a valid EegDann recording: " + string.Join("; ", problems) + ".");
        }

        SignalInfo info;
        try
        {
            info = new SignalInfo(rate, channels);
        }
        catch (ArgumentException e)
        {
            throw new RecordingFormatException(path, e.Message, e);
        }

        var extra = keyValues.Where(kv => kv.Key.StartsWith(Keys.ExtraPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[Keys.ExtraPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        var metadata = new RecordingMetadata
        {
            Subject = subject!,
            Session = keyValues.GetValueOrDefault(Keys.Session),
            Run = keyValues.GetValueOrDefault(Keys.Run),
            SourceFile = keyValues.GetValueOrDefault(Keys.SourceFile),
            SourceSha256 = keyValues.GetValueOrDefault(Keys.SourceSha256),
            OriginalChannelLabels = original,
            ChannelUnits = units,
            EegDannVersion = keyValues.GetValueOrDefault(Keys.Version),
            Extra = extra,
        };
        return (info, metadata);
    }

    private static IReadOnlyList<string>? OptionalList(IReadOnlyDictionary<string, string> keyValues, string key, int count, List<string> problems)
    {
        if (!keyValues.TryGetValue(key, out var json))
        {
            return null;
        }

        var list = ParseList(json, key, problems);
        if (list is not null && list.Count != count)
        {
            problems.Add($"metadata '{key}' lists {list.Count} entries for {count} channels");
            return null;
        }

        return list;
    }

    private static IReadOnlyList<string>? ParseList(string json, string key, List<string> problems)
    {
        try
        {
            var list = JsonSerializer.Deserialize<string[]>(json);
            if (list is null || list.Any(x => x is null))
            {
                problems.Add($"metadata '{key}' is not a JSON array of strings");
                return null;
            }

            return list;
        }
        catch (JsonException)
        {
            problems.Add($"metadata '{key}' is not a JSON array of strings");
            return null;
        }
    }

    private static void AddIfSet(Dictionary<string, string> result, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            result[key] = value;
        }
    }
}
