// Why one file over 400 lines: one format reader written from one specification (BrainVision Core
// Data Format 1.0): header, markers and binary data share the parsed header and the error context
// (file, line) and are reviewed against the specification together; at about 430 lines it does not
// yet call for the EDF reader's split into header, annotations and data.
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EegDann.Core;

namespace EegDann.Recordings.Import;

/// <summary>
/// Reads BrainVision Core Data Format recordings: the <c>.vhdr</c> header, the <c>.vmrk</c> markers
/// and the binary <c>.eeg</c> data they name.
/// </summary>
/// <remarks>
/// <para>Written from Brain Products' "BrainVision Core Data Format 1.0" specification. The header
/// and marker files are INI-like text (sections in brackets, <c>key=value</c> lines, <c>;</c>
/// comments; free text after <c>[Comment]</c>), first line <c>Brain Vision Data Exchange Header File
/// Version 1.0</c> or <c>BrainVision Data Exchange Header File Version 2.0</c>. Text is UTF-8 when
/// <c>Codepage=UTF-8</c>, else Latin-1 (ANSI, and every version-1.0 file without a code page).</para>
/// <para>Data: <c>DataFormat=BINARY</c> with <c>BinaryFormat</c> INT_16, INT_32 or IEEE_FLOAT_32,
/// little-endian; <c>DataOrientation</c> MULTIPLEXED (sample by sample) or VECTORIZED (channel by
/// channel). Channel <c>n</c> is <c>Chn=name,reference,resolution,unit</c> (commas in names written
/// <c>\1</c>); value = stored number × resolution, in the unit (µV when empty); µV, nV, mV and V
/// are converted to µV, any other unit is kept with its numbers. The rate is 10⁶ /
/// <c>SamplingInterval</c> (µs).</para>
/// <para>Markers: <c>Mkn=type,description,position,size,channel[,date]</c>, position counted from 1.
/// Each becomes an event labelled <c>type/description</c> (as MNE-Python labels them), onset
/// (position − 1)/rate and duration size/rate; markers past the last sample are left out and
/// counted (<c>brainvision_markers_outside</c>). The date of the first New Segment is the start
/// time.</para>
/// <para>Consistency checks: the data file's length must be a whole number of samples of every
/// channel, and equal <c>DataPoints</c> when the header gives it; named files must exist.</para>
/// </remarks>
public static class BrainVisionReader
{
    /// <summary>The first line of a version-1.0 header, before its version.</summary>
    public const string HeaderMagicV1 = "Brain Vision Data Exchange Header File";

    /// <summary>The first line of a version-2.0 header, before its version.</summary>
    public const string HeaderMagicV2 = "BrainVision Data Exchange Header File";

    /// <summary>Reads the recording a header describes.</summary>
    /// <param name="path">The <c>.vhdr</c> file.</param>
    /// <param name="progress">Called with (samples read, samples in all); may be null.</param>
    /// <param name="salvage">A multiplexed data file cut short keeps its whole samples (the loss goes to the metadata as <c>salvaged</c>) instead of being refused.</param>
    /// <param name="cancellationToken">Stops between blocks.</param>
    /// <exception cref="RecordingFormatException">When a file is missing, not BrainVision, or inconsistent; the message names the file.</exception>
    public static SourceRecording Read(string path, Action<long, long>? progress = null, bool salvage = false, CancellationToken cancellationToken = default)
    {
        var header = IniText.Read(path, "Header File", "header");
        var problems = new List<string>();
        string Get(string section, string key, string? fallback = null)
        {
            if (header.TryGet(section, key, out var value) && value.Length > 0)
            {
                return value;
            }

            if (fallback is null)
            {
                problems.Add($"[{section}] {key} is missing");
            }

            return fallback ?? "";
        }

        string dataFile = Get("Common Infos", "DataFile");
        string? markerFile = header.TryGet("Common Infos", "MarkerFile", out var mk) && mk.Length > 0 ? mk : null;
        string dataFormat = Get("Common Infos", "DataFormat", "BINARY");
        string orientation = Get("Common Infos", "DataOrientation", "MULTIPLEXED");
        string countText = Get("Common Infos", "NumberOfChannels");
        string intervalText = Get("Common Infos", "SamplingInterval");
        string binaryFormat = Get("Binary Infos", "BinaryFormat", dataFormat == "BINARY" ? null : "");
        if (problems.Count > 0)
        {
            throw Invalid(path, problems);
        }

        if (!dataFormat.Equals("BINARY", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"DataFormat is '{dataFormat}'; EegDann reads BINARY data only");
        }

        bool vectorized = orientation.Equals("VECTORIZED", StringComparison.OrdinalIgnoreCase);
        if (!vectorized && !orientation.Equals("MULTIPLEXED", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"DataOrientation is '{orientation}', not MULTIPLEXED or VECTORIZED");
        }

        int bytes = binaryFormat.ToUpperInvariant() switch
        {
            "INT_16" => 2,
            "INT_32" or "IEEE_FLOAT_32" => 4,
            _ => 0,
        };
        if (bytes == 0 && problems.Count == 0)
        {
            problems.Add($"BinaryFormat is '{binaryFormat}', not INT_16, INT_32 or IEEE_FLOAT_32");
        }

        if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out int channels) || channels < 1)
        {
            problems.Add($"NumberOfChannels is '{countText}', not a positive whole number");
        }

        if (!double.TryParse(intervalText, NumberStyles.Float, CultureInfo.InvariantCulture, out double intervalMicroseconds) || !double.IsFinite(intervalMicroseconds) || intervalMicroseconds <= 0)
        {
            problems.Add($"SamplingInterval is '{intervalText}', not a positive number of microseconds");
        }

        var labels = new string[Math.Max(channels, 0)];
        var units = new string[labels.Length];
        var gain = new double[labels.Length];
        for (int c = 0; c < labels.Length; c++)
        {
            if (!header.TryGet("Channel Infos", $"Ch{c + 1}", out var line))
            {
                problems.Add($"[Channel Infos] Ch{c + 1} is missing (NumberOfChannels is {channels})");
                continue;
            }

            var fields = line.Split(',').Select(f => f.Replace("\\1", ",", StringComparison.Ordinal)).ToArray();
            labels[c] = fields[0].Trim();
            string resolutionText = fields.Length > 2 ? fields[2].Trim() : "";
            double resolution = 1;
            if (resolutionText.Length > 0
                && (!double.TryParse(resolutionText, NumberStyles.Float, CultureInfo.InvariantCulture, out resolution) || !double.IsFinite(resolution) || resolution == 0))
            {
                problems.Add($"Ch{c + 1} '{labels[c]}': resolution '{resolutionText}' is not a non-zero number");
            }

            string unit = fields.Length > 3 ? fields[3].Trim() : "";
            double? toMicrovolt = unit.Length == 0 ? 1.0 : PhysicalUnits.MicrovoltFactor(unit);
            units[c] = toMicrovolt is null ? unit : PhysicalUnits.Microvolt;
            gain[c] = resolution * (toMicrovolt ?? 1.0);
        }

        if (problems.Count > 0)
        {
            throw Invalid(path, problems);
        }

        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "";
        string dataPath = Path.Combine(directory, dataFile);
        if (!File.Exists(dataPath))
        {
            throw new RecordingFormatException(path, $"its data file '{dataFile}' (DataFile) is missing: expected {dataPath}.");
        }

        string? markerPath = markerFile is null ? null : Path.Combine(directory, markerFile);
        if (markerPath is not null && !File.Exists(markerPath))
        {
            throw new RecordingFormatException(path, $"its marker file '{markerFile}' (MarkerFile) is missing: expected {markerPath}.");
        }

        double rate = 1e6 / intervalMicroseconds;
        var samples = ReadData(dataPath, header, channels, bytes, binaryFormat.ToUpperInvariant(), vectorized, gain, salvage, out string? salvaged, progress, cancellationToken);
        int n = samples[0].Length;
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source_format"] = $"BrainVision {header.Version}",
            ["brainvision_binary_format"] = $"{binaryFormat.ToUpperInvariant()} {(vectorized ? "VECTORIZED" : "MULTIPLEXED")}",
            ["brainvision_data_file"] = dataFile,
            ["brainvision_data_sha256"] = Sha256(dataPath),
            ["brainvision_codepage"] = header.Encoding.WebName,
        };
        if (salvaged is not null)
        {
            extra["salvaged"] = salvaged;
        }
        var events = new List<RecordingEvent>();
        if (markerPath is not null)
        {
            extra["brainvision_marker_file"] = markerFile!;
            extra["brainvision_marker_sha256"] = Sha256(markerPath);
            var (markers, outside, start) = ReadMarkers(markerPath, rate, n);
            events = markers;
            extra["brainvision_markers_outside"] = outside.ToString(CultureInfo.InvariantCulture);
            if (start is { } s)
            {
                extra["start_time"] = s;
            }
        }

        var references = Enumerable.Range(0, channels)
            .Select(c => header.TryGet("Channel Infos", $"Ch{c + 1}", out var line) ? line.Split(',') is { Length: > 1 } f ? f[1].Trim() : "" : "")
            .Distinct().ToArray();
        if (references is [{ Length: > 0 } only])
        {
            extra["reference"] = only;
        }

        return new SourceRecording
        {
            Info = new SignalInfo(rate, ChannelLabels.Clean(labels)),
            Samples = samples,
            Events = events.OrderBy(e => e.OnsetSeconds).ToList(),
            OriginalLabels = labels,
            Units = units,
            Format = $"BrainVision {header.Version}",
            Extra = extra,
        };
    }

    private static float[][] ReadData(string dataPath, IniText header, int channels, int bytes, string format, bool vectorized, double[] gain, bool salvage, out string? salvaged, Action<long, long>? progress, CancellationToken cancellationToken)
    {
        using var stream = EdfReader.OpenRead(dataPath);
        long length = stream.Length;
        long frame = (long)channels * bytes;
        salvaged = null;
        if (length == 0)
        {
            throw new RecordingFormatException(dataPath, "the data file is empty.");
        }

        // Only a multiplexed file cut short can be salvaged: a vectorized one stores each channel
        // whole in turn, so a cut loses whole channels.
        bool canSalvage = salvage && !vectorized && length >= frame;
        string hint = vectorized ? string.Empty : " A recording cut short (e.g. by a crash): import --salvage keeps its whole samples.";
        if (length % frame != 0)
        {
            if (!canSalvage)
            {
                throw new RecordingFormatException(dataPath,
                    $"truncated or inconsistent with its header: {length} bytes is not a whole number of samples of {channels} channels × {bytes} bytes ({format}).{hint}");
            }

            salvaged = $"the data file was cut short inside sample {(length / frame) + 1} ({length % frame} of its {frame} bytes); the {length / frame} whole samples before it are imported";
        }

        long n = length / frame;
        if (header.TryGet("Common Infos", "DataPoints", out var pointsText) && pointsText.Length > 0)
        {
            bool parsed = long.TryParse(pointsText, NumberStyles.None, CultureInfo.InvariantCulture, out long points);
            if (parsed && points > n && canSalvage)
            {
                salvaged = $"the data file was cut short: {n} of the {points} samples its header declares (DataPoints) are whole and imported; {points - n} are lost";
            }
            else if (!parsed || points != n)
            {
                throw new RecordingFormatException(dataPath,
                    $"inconsistent with its header: the header says DataPoints={pointsText}, the file holds {n} samples of {channels} channels × {bytes} bytes.{(parsed && points > n ? hint : string.Empty)}");
            }
        }

        if (n > Array.MaxLength)
        {
            throw new RecordingFormatException(dataPath, $"{n} samples per channel is more than one recording can hold in memory.");
        }

        var samples = new float[channels][];
        for (int c = 0; c < channels; c++)
        {
            samples[c] = new float[n];
        }

        // Read in blocks of whole frames (multiplexed) or whole values (vectorized).
        int block = (int)Math.Max(frame, (1 << 20) / frame * frame);
        var buffer = new byte[block];
        long done = 0, total = n * channels;
        while (done < total)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int want = (int)Math.Min(block, (total - done) * bytes);
            stream.ReadExactly(buffer, 0, want);
            int values = want / bytes;
            for (int v = 0; v < values; v++)
            {
                long index = done + v;
                int c = vectorized ? (int)(index / n) : (int)(index % channels);
                long k = vectorized ? index % n : index / channels;
                var raw = buffer.AsSpan(v * bytes, bytes);
                double number = format switch
                {
                    "INT_16" => BinaryPrimitives.ReadInt16LittleEndian(raw),
                    "INT_32" => BinaryPrimitives.ReadInt32LittleEndian(raw),
                    _ => BinaryPrimitives.ReadSingleLittleEndian(raw),
                };
                samples[c][k] = (float)(number * gain[c]);
            }

            done += values;
            progress?.Invoke(done / channels, n);
        }

        return samples;
    }

    private static (List<RecordingEvent> Events, int Outside, string? Start) ReadMarkers(string markerPath, double rate, int n)
    {
        var markers = IniText.Read(markerPath, "Marker File", "marker");
        var events = new List<RecordingEvent>();
        int outside = 0;
        string? start = null;
        foreach (var (key, value) in markers.Entries("Marker Infos"))
        {
            if (!key.StartsWith("Mk", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = value.Split(',').Select(f => f.Replace("\\1", ",", StringComparison.Ordinal)).ToArray();
            if (fields.Length < 3
                || !long.TryParse(fields[2].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long position) || position < 1)
            {
                throw new RecordingFormatException(markerPath, $"marker {key}={value}: expected 'type,description,position,size,channel' with a position of 1 or more.");
            }

            long size = 0;
            if (fields.Length > 3 && fields[3].Trim().Length > 0
                && (!long.TryParse(fields[3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 0))
            {
                throw new RecordingFormatException(markerPath, $"marker {key}={value}: its size '{fields[3].Trim()}' is not a whole number ≥ 0.");
            }

            string type = fields[0], description = fields[1];
            if (start is null && type == "New Segment" && fields.Length > 5 && fields[5].Trim().Length >= 14
                && DateTime.TryParseExact(fields[5].Trim()[..14], "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                start = date.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
            }

            long sample = position - 1;
            if (sample >= n)
            {
                outside++;
                continue;
            }

            events.Add(new RecordingEvent(sample / rate, size / rate, $"{type}/{description}", sample));
        }

        return (events, outside, start);
    }

    private static string Sha256(string path)
    {
        using var stream = EdfReader.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static RecordingFormatException Invalid(string path, List<string> problems) =>
        new(path, "inconsistent header: " + string.Join("; ", problems) + ".");

    /// <summary>A BrainVision header or marker file: its version, encoding and INI entries.</summary>
    private sealed class IniText
    {
        private readonly Dictionary<string, List<(string Key, string Value)>> _sections = new(StringComparer.OrdinalIgnoreCase);

        private IniText(string version, Encoding encoding)
        {
            Version = version;
            Encoding = encoding;
        }

        public string Version { get; }

        public Encoding Encoding { get; }

        public static IniText Read(string path, string kind, string what)
        {
            byte[] bytes;
            using (var stream = EdfReader.OpenRead(path))
            {
                bytes = new byte[stream.Length];
                stream.ReadExactly(bytes);
            }

            int skip = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
            // Decide the encoding from the Codepage line, which is ASCII in every encoding.
            string ascii = Encoding.Latin1.GetString(bytes, skip, bytes.Length - skip);
            bool utf8 = ascii.Split('\n').Any(l => l.Trim().Replace(" ", "", StringComparison.Ordinal).Equals("Codepage=UTF-8", StringComparison.OrdinalIgnoreCase));
            var encoding = utf8 ? new UTF8Encoding(false, throwOnInvalidBytes: true) : Encoding.Latin1;
            string text;
            try
            {
                text = encoding.GetString(bytes, skip, bytes.Length - skip);
            }
            catch (DecoderFallbackException e)
            {
                throw new RecordingFormatException(path, $"says Codepage=UTF-8 but is not valid UTF-8 ({e.Message}).", e);
            }

            var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
            string first = lines.Length > 0 ? lines[0].Trim() : "";
            string expected1 = $"Brain Vision Data Exchange {kind}", expected2 = $"BrainVision Data Exchange {kind}";
            if (!first.StartsWith(expected1, StringComparison.Ordinal) && !first.StartsWith(expected2, StringComparison.Ordinal))
            {
                throw new RecordingFormatException(path,
                    $"not a BrainVision {what} file: its first line must be '{expected1} Version 1.0' or '{expected2} Version 2.0', found '{(first.Length > 80 ? first[..80] + "…" : first)}'.");
            }

            int v = first.LastIndexOf("Version", StringComparison.Ordinal);
            var ini = new IniText(v >= 0 ? first[(v + "Version".Length)..].Trim() : "1.0", encoding);
            List<(string, string)>? current = null;
            foreach (var raw in lines.Skip(1))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line.StartsWith(';'))
                {
                    continue;
                }

                if (line.StartsWith('[') && line.EndsWith(']'))
                {
                    string name = line[1..^1].Trim();
                    if (name.Equals("Comment", StringComparison.OrdinalIgnoreCase))
                    {
                        break; // free text to the end of the file
                    }

                    if (!ini._sections.TryGetValue(name, out current))
                    {
                        ini._sections[name] = current = [];
                    }

                    continue;
                }

                int eq = line.IndexOf('=');
                if (current is not null && eq > 0)
                {
                    current.Add((line[..eq].Trim(), line[(eq + 1)..].Trim()));
                }
            }

            return ini;
        }

        public bool TryGet(string section, string key, out string value)
        {
            if (_sections.TryGetValue(section, out var entries))
            {
                foreach (var (k, v) in entries)
                {
                    if (k.Equals(key, StringComparison.OrdinalIgnoreCase))
                    {
                        value = v;
                        return true;
                    }
                }
            }

            value = "";
            return false;
        }

        public IEnumerable<(string Key, string Value)> Entries(string section) =>
            _sections.TryGetValue(section, out var entries) ? entries : [];
    }
}
