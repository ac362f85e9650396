using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EegDann.Core;

namespace EegDann.Recordings.Import;

/// <summary>
/// Reads GDF 2.x files (the format of the BCI Competition IV data sets) with their event table.
/// </summary>
/// <remarks>
/// <para>Written from the specification: Schlögl A. GDF - A general dataformat for biosignals,
/// version 2.x (arXiv:cs/0608052). Fixed header of 256 bytes; a variable header of 256 bytes per
/// channel, field by field for all channels; data records; then the event table
/// (mode 1: positions and types; mode 3: also channels and durations).</para>
/// <para>Event labels are the GDF event codes as decimal text, unchanged (e.g. <c>769</c>), so no
/// meaning is lost or invented. The BCI Competition IV codes are: 768 start of a trial,
/// 769 cue left hand, 770 cue right hand, 771 cue foot, 772 cue tongue, 783 cue unknown,
/// 1023 rejected trial, 1072 eye movements, 276/277 eyes open/closed, 32766 start of a new run.
/// The meanings of the codes present in a file are also kept in the metadata
/// (<c>extra.event_codes</c>).</para>
/// <para>Physical units come from the channel's dimension code (ISO 11073 volt family → µV), else its
/// text; other units are kept as they are.</para>
/// </remarks>
public static class GdfReader
{
    private static readonly Dictionary<int, string> KnownCodes = new()
    {
        [0x0114] = "eyes open",
        [0x0115] = "eyes closed",
        [0x0300] = "start of a trial",
        [0x0301] = "cue left hand",
        [0x0302] = "cue right hand",
        [0x0303] = "cue foot",
        [0x0304] = "cue tongue",
        [0x030F] = "cue unknown",
        [0x03FF] = "rejected trial",
        [0x0430] = "eye movements",
        [0x7FFE] = "start of a new run",
    };

    /// <summary>Reads the whole file.</summary>
    /// <param name="path">The GDF file.</param>
    /// <param name="progress">Called with (records read, records in all); may be null.</param>
    /// <param name="salvage">A file cut short keeps its complete data records (the event table after them is lost; the metadata says so as <c>salvaged</c>) instead of being refused.</param>
    /// <param name="cancellationToken">Stops between chunks of records.</param>
    /// <exception cref="RecordingFormatException">When the file is not a valid GDF 2.x or cannot be used.</exception>
    public static SourceRecording Read(string path, Action<long, long>? progress = null, bool salvage = false, CancellationToken cancellationToken = default)
    {
        using var stream = EdfReader.OpenRead(path);
        var head = new byte[256];
        if (stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length)
        {
            throw new RecordingFormatException(path, "truncated: shorter than the 256-byte fixed header of GDF.");
        }

        string version = Encoding.ASCII.GetString(head, 0, 8);
        if (!version.StartsWith("GDF 2.", StringComparison.Ordinal)
            || !double.TryParse(version[4..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            throw new RecordingFormatException(path, $"not a GDF 2.x file: the version field is '{version}'.");
        }

        var problems = new List<string>();
        string patientId = Encoding.Latin1.GetString(head, 8, 66).TrimEnd('\0', ' ');
        string recordingId = Encoding.Latin1.GetString(head, 88, 64).TrimEnd('\0', ' ');
        ulong startRaw = BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(168));
        int headerBlocks = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(184));
        long records = BinaryPrimitives.ReadInt64LittleEndian(head.AsSpan(236));
        uint durationNumerator = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(244));
        uint durationDenominator = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(248));
        int n = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(252));
        if (n < 1)
        {
            throw new RecordingFormatException(path, "the header says 0 channels.");
        }

        if (headerBlocks < n + 1)
        {
            throw new RecordingFormatException(path,
                $"wrong channel count: the header says {n} channels, which needs at least {n + 1} header blocks of 256 bytes, but its header-length field says {headerBlocks}.");
        }

        if (durationNumerator == 0 || durationDenominator == 0)
        {
            problems.Add($"duration of a data record is {durationNumerator}/{durationDenominator} s");
        }

        var variable = new byte[256 * n];
        if (stream.ReadAtLeast(variable, variable.Length, throwOnEndOfStream: false) < variable.Length)
        {
            throw new RecordingFormatException(path, $"truncated: the header of {n} channels needs {256 * (n + 1)} bytes.");
        }

        string Text(int fieldOffset, int width, int i) => Encoding.Latin1.GetString(variable, (fieldOffset * n) + (i * width), width).TrimEnd('\0', ' ');
        double F64(int fieldOffset, int i) => BinaryPrimitives.ReadDoubleLittleEndian(variable.AsSpan((fieldOffset * n) + (i * 8)));
        int I32(int fieldOffset, int i) => BinaryPrimitives.ReadInt32LittleEndian(variable.AsSpan((fieldOffset * n) + (i * 4)));
        ushort U16(int fieldOffset, int i) => BinaryPrimitives.ReadUInt16LittleEndian(variable.AsSpan((fieldOffset * n) + (i * 2)));

        var labels = new string[n];
        var units = new string[n];
        var gain = new double[n];
        var offset = new double[n];
        var perRecord = new int[n];
        var types = new int[n];
        long recordBytes = 0;
        for (int i = 0; i < n; i++)
        {
            labels[i] = Text(0, 16, i);
            string where = $"channel {i + 1} '{labels[i]}'";
            string dimensionText = Text(96, 6, i);
            ushort dimensionCode = U16(102, i);
            double pMin = F64(104, i), pMax = F64(112, i), dMin = F64(120, i), dMax = F64(128, i);
            perRecord[i] = I32(216, i);
            types[i] = I32(220, i);
            foreach (var (name, value) in new[] { ("physical minimum", pMin), ("physical maximum", pMax), ("digital minimum", dMin), ("digital maximum", dMax) })
            {
                if (!double.IsFinite(value))
                {
                    problems.Add($"{name} of {where} is {(double.IsNaN(value) ? "NaN" : value.ToString(CultureInfo.InvariantCulture))}");
                }
            }

            if (double.IsFinite(dMin) && double.IsFinite(dMax) && dMax <= dMin)
            {
                problems.Add($"{where}: digital maximum {dMax} is not above digital minimum {dMin}");
            }

            if (double.IsFinite(pMin) && pMax == pMin)
            {
                problems.Add($"{where}: physical minimum and maximum are both {pMin}");
            }

            if (perRecord[i] < 1)
            {
                problems.Add($"{where}: {perRecord[i]} samples per data record");
            }

            int size = TypeSize(types[i]);
            if (size == 0)
            {
                problems.Add($"{where}: data type {types[i]} is not supported (int8…uint64, float32, float64 are)");
            }

            double? factor = dimensionCode != 0 ? PhysicalUnits.MicrovoltFactorOfGdfCode(dimensionCode) : PhysicalUnits.MicrovoltFactor(dimensionText);
            units[i] = factor is not null ? PhysicalUnits.Microvolt : dimensionCode != 0 ? PhysicalUnits.DescribeGdfCode(dimensionCode) : dimensionText;
            double cal = (pMax - pMin) / (dMax - dMin);
            gain[i] = cal * (factor ?? 1);
            offset[i] = (pMin - (dMin * cal)) * (factor ?? 1);
            recordBytes += (long)Math.Max(perRecord[i], 0) * size;
        }

        if (problems.Count > 0)
        {
            throw new RecordingFormatException(path, "invalid header: " + string.Join("; ", problems) + ".");
        }

        if (recordBytes > 1L << 28)
        {
            throw new RecordingFormatException(path, $"invalid header: one data record would be {recordBytes} bytes.");
        }

        double recordSeconds = (double)durationNumerator / durationDenominator;
        if (perRecord.Distinct().Count() > 1)
        {
            string list = string.Join(", ", Enumerable.Range(0, n).GroupBy(i => perRecord[i]).Select(g => $"{g.Key / recordSeconds:G6} Hz ({string.Join(" ", g.Take(4).Select(i => labels[i]))})"));
            throw new RecordingFormatException(path, $"channels have different sample rates: {list}. EegDann recordings have one rate for all channels.");
        }

        long dataStart = 256L * headerBlocks;
        long available = stream.Length - dataStart;
        if (available < 0)
        {
            throw new RecordingFormatException(path, $"truncated: the header is {dataStart} bytes long but the file has only {stream.Length}.");
        }

        if (records == -1)
        {
            records = available / recordBytes;
        }
        else if (records < 0)
        {
            throw new RecordingFormatException(path, $"the header says {records} data records.");
        }
        long declared = records;
        if (records > 0 && records * recordBytes > available)
        {
            if (!salvage || available < recordBytes)
            {
                throw new RecordingFormatException(path,
                    $"header and file length disagree: {records} data records × {recordBytes} bytes = {records * recordBytes} bytes of data expected after the {dataStart}-byte header, but the file holds only {available}. The file is truncated{(available >= recordBytes ? " (import --salvage keeps the complete data records before the cut)" : string.Empty)}.");
            }

            records = available / recordBytes;
        }

        long total = records * perRecord[0];
        if (total > Array.MaxLength)
        {
            throw new RecordingFormatException(path, $"{total} samples per channel is more than one recording can hold in memory.");
        }

        var samples = new float[n][];
        for (int c = 0; c < n; c++)
        {
            samples[c] = new float[total];
        }

        stream.Seek(dataStart, SeekOrigin.Begin);
        int rb = checked((int)recordBytes);
        int chunk = Math.Max(1, (1 << 20) / rb);
        var buffer = new byte[chunk * rb];
        for (long r0 = 0; r0 < records; r0 += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = (int)Math.Min(chunk, records - r0);
            stream.ReadExactly(buffer, 0, count * rb);
            for (int k = 0; k < count; k++)
            {
                int position = k * rb;
                for (int c = 0; c < n; c++)
                {
                    int size = TypeSize(types[c]);
                    var bytes = buffer.AsSpan(position, perRecord[c] * size);
                    Decode(bytes, types[c], gain[c], offset[c], samples[c].AsSpan((int)((r0 + k) * perRecord[c]), perRecord[c]));
                    position += bytes.Length;
                }
            }

            progress?.Invoke(r0 + count, records);
        }

        double rate = perRecord[0] / recordSeconds;
        // A file cut short has lost the event table that follows the data.
        var events = declared > records ? [] : ReadEvents(path, stream, dataStart + (records * recordBytes), rate, total);
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source_format"] = $"GDF {version[4..].Trim()}",
            ["record_seconds"] = recordSeconds.ToString("R", CultureInfo.InvariantCulture),
        };
        if (recordingId.Length > 0)
        {
            extra["recording_id"] = recordingId;
        }

        if (startRaw != 0)
        {
            // Days since 0000-01-01 as a 32.32 fixed-point number; day 367 is 0001-01-01.
            double days = (startRaw / 4294967296.0) - 367;
            if (days is > 0 and < 3_000_000)
            {
                extra["start_time"] = DateTime.MinValue.AddDays(days).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
            }
        }

        var codes = events.Select(e => int.Parse(e.Label, CultureInfo.InvariantCulture)).Distinct().Where(KnownCodes.ContainsKey).Order().ToList();
        if (codes.Count > 0)
        {
            extra["event_codes"] = string.Join("; ", codes.Select(c => $"{c}={KnownCodes[c]}"));
        }

        string? code = patientId.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (declared > records)
        {
            extra["salvaged"] = string.Create(CultureInfo.InvariantCulture, $"the file was cut short: {records} of the {declared} data records its header declares are complete and imported; {declared - records} ({(declared - records) * perRecord[0] / rate:G6} s) and the event table after them are lost");
        }

        return new SourceRecording
        {
            Info = new SignalInfo(rate, ChannelLabels.Clean(labels)),
            Samples = samples,
            Events = events,
            OriginalLabels = labels,
            Units = units,
            Format = extra["source_format"],
            PatientCode = code is null or "X" ? null : code,
            Extra = extra,
        };
    }

    private static List<RecordingEvent> ReadEvents(string path, Stream stream, long tableStart, double rate, long sampleCount)
    {
        if (stream.Length <= tableStart)
        {
            return [];
        }

        stream.Seek(tableStart, SeekOrigin.Begin);
        var head = new byte[8];
        if (stream.ReadAtLeast(head, 8, throwOnEndOfStream: false) < 8)
        {
            throw new RecordingFormatException(path, "truncated: the event table's header ends early.");
        }

        int mode = head[0];
        if (mode is not (1 or 3))
        {
            throw new RecordingFormatException(path, $"the event table has mode {mode}; GDF defines modes 1 and 3.");
        }

        int count = head[1] | (head[2] << 8) | (head[3] << 16);
        double eventRate = BinaryPrimitives.ReadSingleLittleEndian(head.AsSpan(4));
        if (!double.IsFinite(eventRate) || eventRate <= 0)
        {
            // Some writers leave it 0: events are then counted in samples of the signals.
            eventRate = rate;
        }

        int entryBytes = mode == 3 ? 12 : 6;
        if ((long)count * entryBytes > stream.Length - stream.Position)
        {
            throw new RecordingFormatException(path, $"truncated: the event table promises {count} events ({(long)count * entryBytes} bytes) but the file ends after {stream.Length - stream.Position} more bytes.");
        }

        var table = new byte[(long)count * entryBytes];
        if (stream.ReadAtLeast(table, table.Length, throwOnEndOfStream: false) < table.Length)
        {
            throw new RecordingFormatException(path, $"truncated: the event table promises {count} events but ends early.");
        }

        var events = new List<RecordingEvent>(count);
        for (int e = 0; e < count; e++)
        {
            uint position = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(e * 4));
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan((count * 4) + (e * 2)));
            uint duration = mode == 3 ? BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan((count * 8) + (e * 4))) : 0;
            if (position == 0)
            {
                throw new RecordingFormatException(path, $"event {e + 1} (type {type}) has position 0; GDF positions count from 1.");
            }

            // Positions are 1-based, in units of the event table's sample rate.
            double onset = (position - 1) / eventRate;
            long sample = (long)Math.Round(onset * rate);
            if (sample > sampleCount)
            {
                throw new RecordingFormatException(path, $"event {e + 1} (type {type}) is at {onset:R} s, after the end of the recording ({sampleCount / rate:R} s).");
            }

            events.Add(new RecordingEvent(onset, duration / eventRate, type.ToString(CultureInfo.InvariantCulture), sample));
        }

        return events.OrderBy(x => x.OnsetSeconds).ToList();
    }

    private static int TypeSize(int type) => type switch
    {
        1 or 2 => 1,
        3 or 4 => 2,
        5 or 6 or 16 => 4,
        7 or 8 or 17 => 8,
        _ => 0,
    };

    private static void Decode(ReadOnlySpan<byte> bytes, int type, double gain, double offset, Span<float> output)
    {
        for (int k = 0; k < output.Length; k++)
        {
            double digital = type switch
            {
                1 => (sbyte)bytes[k],
                2 => bytes[k],
                3 => BinaryPrimitives.ReadInt16LittleEndian(bytes[(k * 2)..]),
                4 => BinaryPrimitives.ReadUInt16LittleEndian(bytes[(k * 2)..]),
                5 => BinaryPrimitives.ReadInt32LittleEndian(bytes[(k * 4)..]),
                6 => BinaryPrimitives.ReadUInt32LittleEndian(bytes[(k * 4)..]),
                7 => BinaryPrimitives.ReadInt64LittleEndian(bytes[(k * 8)..]),
                8 => BinaryPrimitives.ReadUInt64LittleEndian(bytes[(k * 8)..]),
                16 => BinaryPrimitives.ReadSingleLittleEndian(bytes[(k * 4)..]),
                _ => BinaryPrimitives.ReadDoubleLittleEndian(bytes[(k * 8)..]),
            };
            output[k] = (float)((digital * gain) + offset);
        }
    }
}
