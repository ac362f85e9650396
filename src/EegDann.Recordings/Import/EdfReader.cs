using System.Buffers.Binary;
using System.Globalization;
using EegDann.Core;

namespace EegDann.Recordings.Import;

/// <summary>
/// Reads EDF, EDF+, BDF and BDF+ files (written from the specifications, see <see cref="EdfHeader"/>)
/// into samples in µV and events from the annotation signal.
/// </summary>
/// <remarks>
/// <para>Values: physical = digital × (pmax − pmin)/(dmax − dmin) + (pmin − dmin × that gain), computed in
/// double, multiplied by the factor from the channel's physical dimension to µV, then stored as float32.
/// A channel whose dimension is not a voltage keeps its own unit.</para>
/// <para>Signals may have different rates (samples per record): each is read at its own rate and
/// <see cref="SourceRecording.ChannelRatesHz"/> says which; the importer brings them to one rate
/// (<see cref="ChannelPlan"/>). Events count samples at the highest rate.</para>
/// <para>Events come from every TAL except each record's time-keeping TAL (the first TAL of the first
/// annotation signal, whose first annotation is empty). Onsets are made relative to the first data
/// record's time-keeping onset, so onset 0 is the first sample. A TAL with several annotations
/// gives one event per annotation; a TAL without a duration gives duration 0.</para>
/// <para>EDF+D/BDF+D (discontinuous): accepted only when its records are in fact contiguous (each
/// record's time-keeping onset equals the previous one plus the record duration). A file with a
/// real gap is refused, naming the first gap: EegDann recordings are one continuous stream, and
/// closing gaps silently would misplace every later event and break sample-index continuity.</para>
/// </remarks>
public static class EdfReader
{
    /// <summary>Reads the whole file.</summary>
    /// <param name="path">The EDF/BDF file.</param>
    /// <param name="progress">Called with (records read, records in all) as reading proceeds; may be null.</param>
    /// <param name="salvage">Keep the complete data records of a file cut short instead of refusing it (the loss goes to the metadata as <c>salvaged</c>).</param>
    /// <param name="cancellationToken">Stops between records.</param>
    /// <exception cref="RecordingFormatException">When the file is not a valid EDF/BDF or cannot be used; the message names the file and the problem.</exception>
    public static SourceRecording Read(string path, Action<long, long>? progress = null, bool salvage = false, CancellationToken cancellationToken = default)
    {
        using var stream = OpenRead(path);
        var header = EdfHeader.Read(stream, path, salvage);
        var signals = header.Signals;
        var ordinary = Enumerable.Range(0, signals.Count).Where(i => !signals[i].IsAnnotations).ToArray();
        var annotationSignals = Enumerable.Range(0, signals.Count).Where(i => signals[i].IsAnnotations).ToArray();
        if (ordinary.Length == 0)
        {
            throw new RecordingFormatException(path, "the file has no signals besides annotations.");
        }

        // Signals may have their own rates (slow sensors beside EEG): each channel is read at its
        // own rate here; the importer brings them to one (ChannelPlan).
        int maxPerRecord = ordinary.Max(i => signals[i].SamplesPerRecord);
        double rate = maxPerRecord / header.RecordSeconds;
        long totalSamples = header.RecordCount * maxPerRecord;
        if (totalSamples > Array.MaxLength)
        {
            throw new RecordingFormatException(path, $"{totalSamples} samples per channel is more than one recording can hold in memory.");
        }

        var originalLabels = ordinary.Select(i => signals[i].Label.Trim()).ToArray();
        var units = new string[ordinary.Length];
        var gain = new double[signals.Count];
        var offset = new double[signals.Count];
        for (int c = 0; c < ordinary.Length; c++)
        {
            var s = signals[ordinary[c]];
            double cal = (s.PhysicalMaximum - s.PhysicalMinimum) / (s.DigitalMaximum - s.DigitalMinimum);
            double off = s.PhysicalMinimum - (s.DigitalMinimum * cal);
            double? toMicrovolt = PhysicalUnits.MicrovoltFactor(s.Dimension);
            double factor = toMicrovolt ?? 1.0;
            units[c] = toMicrovolt is null ? s.Dimension : PhysicalUnits.Microvolt;
            gain[ordinary[c]] = cal * factor;
            offset[ordinary[c]] = off * factor;
        }

        var samples = new float[ordinary.Length][];
        for (int c = 0; c < samples.Length; c++)
        {
            samples[c] = new float[header.RecordCount * signals[ordinary[c]].SamplesPerRecord];
        }

        var channelOf = new int[signals.Count];
        Array.Fill(channelOf, -1);
        for (int c = 0; c < ordinary.Length; c++)
        {
            channelOf[ordinary[c]] = c;
        }

        var signalOffset = new int[signals.Count];
        for (int i = 1; i < signals.Count; i++)
        {
            signalOffset[i] = signalOffset[i - 1] + (signals[i - 1].SamplesPerRecord * header.BytesPerSample);
        }

        var tals = new List<(long Record, Tal Tal, bool First)>();
        var recordOnsets = new double[header.IsPlus && annotationSignals.Length > 0 ? header.RecordCount : 0];
        Array.Fill(recordOnsets, double.NaN);
        int recordBytes = checked((int)header.RecordBytes);
        int recordsPerChunk = Math.Max(1, (1 << 20) / recordBytes);
        var buffer = new byte[recordsPerChunk * recordBytes];
        for (long r0 = 0; r0 < header.RecordCount; r0 += recordsPerChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = (int)Math.Min(recordsPerChunk, header.RecordCount - r0);
            int want = count * recordBytes;
            int got = stream.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false);
            if (got < want)
            {
                throw new RecordingFormatException(path, $"truncated: data record {r0 + 1 + (got / recordBytes)} ends early.");
            }

            for (int k = 0; k < count; k++)
            {
                long r = r0 + k;
                var record = buffer.AsSpan(k * recordBytes, recordBytes);
                for (int i = 0; i < signals.Count; i++)
                {
                    var bytes = record.Slice(signalOffset[i], signals[i].SamplesPerRecord * header.BytesPerSample);
                    int c = channelOf[i];
                    if (c >= 0)
                    {
                        int perRecord = signals[i].SamplesPerRecord;
                        Decode(bytes, header.IsBdf, gain[i], offset[i], samples[c].AsSpan((int)(r * perRecord), perRecord));
                    }
                    else
                    {
                        ReadAnnotations(path, bytes, r, i == annotationSignals[0], tals, recordOnsets);
                    }
                }
            }

            progress?.Invoke(r0 + count, header.RecordCount);
        }

        CheckContinuity(path, header, recordOnsets);
        double origin = recordOnsets.Length > 0 ? recordOnsets[0] : 0;
        var events = tals
            .Where(t => !t.First)
            .SelectMany(t => t.Tal.Texts.Select(text => (t.Tal, Text: text)))
            .Select(t =>
            {
                double onset = t.Tal.OnsetSeconds - origin;
                return new RecordingEvent(onset, t.Tal.DurationSeconds ?? 0, t.Text.Trim(), (long)Math.Round(onset * rate));
            })
            .OrderBy(e => e.OnsetSeconds)
            .ToList();

        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source_format"] = header.FormatName,
            ["record_seconds"] = header.RecordSeconds.ToString("R", CultureInfo.InvariantCulture),
        };
        if (header.Start is { } start)
        {
            extra["start_time"] = start.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
        }

        var recordingFields = header.RecordingId.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (header.IsPlus && recordingFields.Length >= 5 && recordingFields[0] == "Startdate")
        {
            AddKnown(extra, "admin_code", recordingFields[2]);
            AddKnown(extra, "technician", recordingFields[3]);
            AddKnown(extra, "equipment", recordingFields[4]);
        }
        else if (!header.IsPlus && header.RecordingId.Length > 0)
        {
            extra["recording_id"] = header.RecordingId;
        }

        var prefilters = ordinary.Select(i => signals[i].Prefiltering).Distinct().ToArray();
        if (prefilters.Length == 1 && prefilters[0].Length > 0)
        {
            extra["prefiltering"] = prefilters[0];
        }

        if (header.DeclaredRecordCount > header.RecordCount)
        {
            long lost = header.DeclaredRecordCount - header.RecordCount;
            extra["salvaged"] = string.Create(CultureInfo.InvariantCulture, $"the file was cut short: {header.RecordCount} of the {header.DeclaredRecordCount} data records its header declares are complete and imported; {lost} ({lost * header.RecordSeconds:G6} s) are lost");
        }

        var channelRates = ordinary.Select(i => signals[i].SamplesPerRecord / header.RecordSeconds).ToArray();
        return new SourceRecording
        {
            Info = new SignalInfo(rate, ChannelLabels.Clean(originalLabels)),
            Samples = samples,
            ChannelRatesHz = channelRates.Distinct().Count() > 1 ? channelRates : null,
            Events = events,
            OriginalLabels = originalLabels,
            Units = units,
            Format = header.FormatName,
            PatientCode = header.IsPlus ? PatientCode(header.Patient) : null,
            Extra = extra,
        };
    }

    /// <summary>Opens a file for reading, turning the ways it can fail into messages that name it.</summary>
    internal static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            string why = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new RecordingFormatException(path, $"cannot be read: {why}.", e);
        }
    }

    private static void Decode(ReadOnlySpan<byte> bytes, bool bdf, double gain, double offset, Span<float> output)
    {
        if (bdf)
        {
            for (int k = 0; k < output.Length; k++)
            {
                int b = k * 3;
                // 24-bit little-endian two's complement: shift into the top of an int, then back.
                int digital = ((bytes[b] << 8) | (bytes[b + 1] << 16) | (bytes[b + 2] << 24)) >> 8;
                output[k] = (float)((digital * gain) + offset);
            }
        }
        else
        {
            for (int k = 0; k < output.Length; k++)
            {
                short digital = BinaryPrimitives.ReadInt16LittleEndian(bytes.Slice(k * 2, 2));
                output[k] = (float)((digital * gain) + offset);
            }
        }
    }

    private static void ReadAnnotations(string path, ReadOnlySpan<byte> bytes, long record, bool timekeepingSignal, List<(long, Tal, bool)> tals, double[] recordOnsets)
    {
        IReadOnlyList<Tal> parsed;
        try
        {
            parsed = EdfAnnotations.Parse(bytes);
        }
        catch (FormatException e)
        {
            throw new RecordingFormatException(path, $"annotations do not parse in data record {record + 1}: {e.Message}.", e);
        }

        for (int t = 0; t < parsed.Count; t++)
        {
            bool timekeeping = timekeepingSignal && t == 0 && parsed[t].Texts[0].Length == 0;
            if (timekeeping && record < recordOnsets.Length)
            {
                recordOnsets[record] = parsed[t].OnsetSeconds;
            }

            if (!timekeeping && parsed[t].Texts.All(text => text.Length == 0))
            {
                continue;
            }

            tals.Add((record, parsed[t], timekeeping));
        }
    }

    private static void CheckContinuity(string path, EdfHeader header, double[] onsets)
    {
        for (int r = 0; r < onsets.Length; r++)
        {
            if (double.IsNaN(onsets[r]))
            {
                // EDF+ requires a time-keeping TAL in every record. Without one, EDF+C still says where
                // the record is; EDF+D does not.
                if (header.IsDiscontinuous)
                {
                    throw new RecordingFormatException(path, $"annotations do not parse in data record {r + 1}: its first TAL is not the time-keeping TAL ('+onset' followed by an empty annotation) that {header.FormatName} requires in every record.");
                }

                onsets[r] = r == 0 ? 0 : onsets[r - 1] + header.RecordSeconds;
            }

            if (r == 0)
            {
                continue;
            }

            double expected = onsets[r - 1] + header.RecordSeconds;
            // Onsets are decimal text; allow rounding of the last written digit.
            if (Math.Abs(onsets[r] - expected) > 1e-6 * Math.Max(1, header.RecordSeconds))
            {
                string what = header.IsDiscontinuous
                    ? $"{header.FormatName} with a gap: data record {r + 1} starts at {onsets[r]:R} s, not {expected:R} s. EegDann imports continuous recordings only; split the file at its gaps"
                    : $"{header.FormatName} promises contiguous records, but data record {r + 1} starts at {onsets[r]:R} s instead of {expected:R} s";
                throw new RecordingFormatException(path, what + ".");
            }
        }
    }

    private static string? PatientCode(string patient)
    {
        var first = patient.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first is null or "X" ? null : first.Replace('_', ' ');
    }

    private static void AddKnown(Dictionary<string, string> extra, string key, string value)
    {
        if (value != "X")
        {
            extra[key] = value.Replace('_', ' ');
        }
    }
}
