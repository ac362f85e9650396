using System.Globalization;
using System.Text.Json;
using EegDann.Core;

namespace EegDann.Recordings.Import;

/// <summary>
/// Turns an XDF file (see <see cref="XdfFile"/>) into one recording: one regular numeric stream
/// becomes the samples, every marker stream becomes events, and every stream is listed in the
/// metadata.
/// </summary>
/// <remarks>
/// <para>The recording's stream is the one named by <c>--stream</c>, else the first of type EEG
/// (case-insensitive), else the first numeric stream with samples and a nominal rate. Its
/// samples are taken in order at the nominal rate: an EegDann recording is one continuous run of
/// samples. What the timestamps say about that (effective rate, timing jitter, gaps) is measured
/// and kept in the metadata rather than silently smoothed away: <c>xdf_gaps</c> counts the steps
/// between successive timestamps that go backwards or exceed 1.5 sample periods (<c>xdf_largest_gap_s</c>
/// the largest), and over the other steps <c>xdf_effective_rate_hz</c> is 1/mean step and
/// <c>xdf_jitter_ms</c> their standard deviation.</para>
/// <para>Events: every string stream and every stream of type Markers. All timestamps are first
/// mapped onto the recorder's clock (<see cref="XdfClockSync"/>), so streams of different
/// computers meet; a marker's sample is the recording sample whose corrected timestamp is nearest,
/// and its onset that sample's time on the recording's axis (sample / rate): the recording's time
/// is its sample count, so an onset is exact to half a sample. Markers farther than half a sample
/// period from every sample (before the first, after the last, or in a gap) are left out and
/// counted (<c>xdf_events_outside</c>). A multi-channel string sample gives one event whose label joins
/// the channels with <c>|</c>.</para>
/// <para>Units: from the channel's <c>unit</c> in the stream's description (microvolts, millivolts,
/// volts, nanovolts, or their symbols); EEG channels without one are taken as µV, the XDF
/// meta-data convention for EEG, and other channels keep their numbers with no unit.</para>
/// </remarks>
public static class XdfReader
{
    // Half a sample period, and a little more for timestamps written in decimal steps (5.1 + 0.1 …).
    private const double HalfPeriodWithRounding = 0.5 + 1e-6;

    /// <summary>Reads the whole file.</summary>
    /// <param name="path">The XDF file.</param>
    /// <param name="streamName">The stream to take as the recording, or null for the first EEG stream.</param>
    /// <param name="progress">Called with (bytes read, bytes in all); may be null.</param>
    /// <param name="salvage">Read a file cut short up to the cut instead of refusing it (the loss goes to the metadata as <c>salvaged</c>).</param>
    /// <param name="cancellationToken">Stops between chunks.</param>
    /// <exception cref="RecordingFormatException">When the file is not valid XDF or has no stream that can be a recording.</exception>
    public static SourceRecording Read(string path, string? streamName = null, Action<long, long>? progress = null, bool salvage = false, CancellationToken cancellationToken = default)
    {
        var file = XdfFile.Read(path, progress, salvage, cancellationToken);
        var eeg = Choose(path, file, streamName, out string why);
        var eegSegments = XdfClockSync.Segments(eeg.ClockOffsets);
        var times = XdfClockSync.Correct(eeg.Timestamps, eeg.ClockOffsets, eegSegments);
        int n = eeg.SampleCount;
        int channels = eeg.ChannelCount;
        double rate = eeg.NominalRateHz;
        var samples = new float[channels][];
        for (int c = 0; c < channels; c++)
        {
            samples[c] = new float[n];
        }

        var originalLabels = Enumerable.Range(0, channels)
            .Select(c => eeg.ChannelLabels[c].Length > 0 ? eeg.ChannelLabels[c] : $"ch{c + 1}")
            .ToArray();
        var units = new string[channels];
        var factor = new double[channels];
        bool isEeg = eeg.Type.Equals("EEG", StringComparison.OrdinalIgnoreCase);
        bool assumedMicrovolts = false;
        for (int c = 0; c < channels; c++)
        {
            string unit = eeg.ChannelUnits[c];
            double? toMicrovolt = MicrovoltFactor(unit);
            if (unit.Length == 0 && isEeg)
            {
                toMicrovolt = 1.0;
                assumedMicrovolts = true;
            }

            factor[c] = toMicrovolt ?? 1.0;
            units[c] = toMicrovolt is null ? unit : PhysicalUnits.Microvolt;
        }

        var values = eeg.Values;
        for (int k = 0; k < n; k++)
        {
            for (int c = 0; c < channels; c++)
            {
                samples[c][k] = (float)(values[(k * channels) + c] * factor[c]);
            }
        }

        var events = new List<RecordingEvent>();
        int outside = 0;
        var markerStreams = file.Streams.Where(s => s != eeg && (s.IsString || s.Type.Equals("Markers", StringComparison.OrdinalIgnoreCase))).ToList();
        var order = Enumerable.Range(0, n).OrderBy(i => times[i]).ToArray();
        var sortedTimes = order.Select(i => times[i]).ToArray();
        foreach (var markers in markerStreams)
        {
            var markerTimes = XdfClockSync.Correct(markers.Timestamps, markers.ClockOffsets, XdfClockSync.Segments(markers.ClockOffsets));
            for (int k = 0; k < markers.SampleCount; k++)
            {
                int sample = order[Nearest(sortedTimes, markerTimes[k])];
                double distance = markerTimes[k] - times[sample];
                if (Math.Abs(distance) > HalfPeriodWithRounding / rate)
                {
                    outside++;
                    continue;
                }

                string label = markers.IsString
                    ? string.Join("|", Enumerable.Range(0, markers.ChannelCount).Select(c => markers.Strings[(k * markers.ChannelCount) + c]))
                    : string.Join("|", Enumerable.Range(0, markers.ChannelCount).Select(c => markers.Values[(k * markers.ChannelCount) + c].ToString("R", CultureInfo.InvariantCulture)));
                events.Add(new RecordingEvent(sample / rate, 0, label, sample));
            }
        }

        var timing = Timing(times, rate);
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source_format"] = "XDF",
            ["xdf_stream"] = $"{eeg.Name} (id {eeg.Id}, type {eeg.Type}, {eeg.Format}): {why}",
            ["xdf_streams"] = JsonSerializer.Serialize(file.Streams.Select(s => new Dictionary<string, object>
            {
                ["id"] = s.Id,
                ["name"] = s.Name,
                ["type"] = s.Type,
                ["channels"] = s.ChannelCount,
                ["nominal_rate_hz"] = s.NominalRateHz,
                ["format"] = s.Format,
                ["samples"] = s.SampleCount,
                ["clock_offsets"] = s.ClockOffsets.Count,
                ["clock_segments"] = XdfClockSync.Segments(s.ClockOffsets).Count,
                ["imported_as"] = s == eeg ? "samples" : markerStreams.Contains(s) ? "events" : "not imported",
            })),
            ["xdf_clock_segments"] = eegSegments.Count.ToString(CultureInfo.InvariantCulture),
            ["xdf_effective_rate_hz"] = timing.EffectiveRate.ToString("G9", CultureInfo.InvariantCulture),
            ["xdf_jitter_ms"] = timing.JitterMs.ToString("G6", CultureInfo.InvariantCulture),
            ["xdf_gaps"] = timing.Gaps.ToString(CultureInfo.InvariantCulture),
            ["xdf_largest_gap_s"] = timing.LargestGap.ToString("G6", CultureInfo.InvariantCulture),
            ["xdf_first_timestamp"] = times[0].ToString("R", CultureInfo.InvariantCulture),
            ["xdf_events_outside"] = outside.ToString(CultureInfo.InvariantCulture),
        };
        if (assumedMicrovolts)
        {
            extra["xdf_units"] = "the EEG stream states no channel units; its values are taken as microvolts";
        }

        if (file.CutShort is { } cut)
        {
            extra["salvaged"] = $"the file was cut short: {cut}; the chunks before it are imported (no stream footers, and samples and clock offsets after the cut are lost)";
        }

        if (file.SkippedChunks > 0)
        {
            extra["xdf_skipped_chunks"] = file.SkippedChunks.ToString(CultureInfo.InvariantCulture);
        }

        return new SourceRecording
        {
            Info = new SignalInfo(rate, ChannelLabels.Clean(originalLabels)),
            Samples = samples,
            Events = events.OrderBy(e => e.OnsetSeconds).ToList(),
            OriginalLabels = originalLabels,
            Units = units,
            Format = "XDF",
            Extra = extra,
        };
    }

    /// <summary>The factor from an XDF channel unit (word or symbol) to µV, or null when it is not a voltage.</summary>
    public static double? MicrovoltFactor(string unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        return unit.Trim().ToLowerInvariant() switch
        {
            "microvolts" or "microvolt" => 1.0,
            "millivolts" or "millivolt" => 1e3,
            "volts" or "volt" => 1e6,
            "nanovolts" or "nanovolt" => 1e-3,
            _ => PhysicalUnits.MicrovoltFactor(unit),
        };
    }

    private static XdfStream Choose(string path, XdfFile file, string? streamName, out string why)
    {
        string List() => file.Streams.Count == 0
            ? "the file has no streams"
            : "its streams are " + string.Join(", ", file.Streams.Select(s => $"'{s.Name}' ({s.Type}, {s.ChannelCount} × {s.Format}, {s.NominalRateHz:G6} Hz, {s.SampleCount} samples)"));
        XdfStream? chosen;
        if (streamName is not null)
        {
            chosen = file.Streams.FirstOrDefault(s => s.Name == streamName)
                ?? throw new RecordingFormatException(path, $"no stream is called '{streamName}' (--stream); {List()}.");
            why = "named by --stream";
        }
        else if ((chosen = file.Streams.FirstOrDefault(s => s.Type.Equals("EEG", StringComparison.OrdinalIgnoreCase))) is not null)
        {
            why = "the first stream of type EEG";
        }
        else
        {
            chosen = file.Streams.FirstOrDefault(s => !s.IsString && s.NominalRateHz > 0 && s.SampleCount > 0)
                ?? throw new RecordingFormatException(path, $"no stream can be the recording (none of type EEG, none numeric with a nominal rate and samples); {List()}.");
            why = "no stream of type EEG: the first numeric stream with a nominal rate and samples";
        }

        if (chosen.IsString)
        {
            throw new RecordingFormatException(path, $"stream '{chosen.Name}' holds strings, not signal values; {List()}.");
        }

        if (chosen.NominalRateHz <= 0)
        {
            throw new RecordingFormatException(path, $"stream '{chosen.Name}' has no nominal rate (irregular samples), so it cannot be a recording at a fixed rate; {List()}.");
        }

        if (chosen.SampleCount == 0)
        {
            throw new RecordingFormatException(path, $"stream '{chosen.Name}' has no samples; {List()}.");
        }

        return chosen;
    }

    private static int Nearest(double[] sorted, double t)
    {
        int i = Array.BinarySearch(sorted, t);
        if (i >= 0)
        {
            return i;
        }

        i = ~i;
        if (i == 0)
        {
            return 0;
        }

        if (i == sorted.Length)
        {
            return sorted.Length - 1;
        }

        return t - sorted[i - 1] <= sorted[i] - t ? i - 1 : i;
    }

    private static (double EffectiveRate, double JitterMs, int Gaps, double LargestGap) Timing(double[] times, double rate)
    {
        int n = times.Length;
        if (n < 2)
        {
            return (rate, 0, 0, 0);
        }

        double period = 1 / rate;
        int gaps = 0;
        double largest = 0;
        for (int i = 1; i < n; i++)
        {
            double step = times[i] - times[i - 1];
            if (step > 1.5 * period || step < 0)
            {
                gaps++;
                largest = Math.Max(largest, Math.Abs(step));
            }
        }

        // Over the intervals that are not gaps: the mean gives the effective rate, the spread the jitter.
        double sum = 0, sumSq = 0;
        int count = 0;
        for (int i = 1; i < n; i++)
        {
            double step = times[i] - times[i - 1];
            if (step >= 0 && step <= 1.5 * period)
            {
                sum += step;
                sumSq += step * step;
                count++;
            }
        }

        if (count == 0)
        {
            return (double.NaN, double.NaN, gaps, largest);
        }

        double mean = sum / count;
        double sd = Math.Sqrt(Math.Max(0, (sumSq / count) - (mean * mean)));
        return (mean > 0 ? 1 / mean : double.NaN, sd * 1000, gaps, largest);
    }
}
