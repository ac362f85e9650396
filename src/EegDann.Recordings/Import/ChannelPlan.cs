using System.Globalization;
using System.Text.Json;
using EegDann.Core;

namespace EegDann.Recordings.Import;

/// <summary>
/// Brings what a reader found to one recording: the channels asked for (<c>--channels</c>), all at
/// one rate (<c>--rate</c>, else the highest rate among them), the others resampled, and says in
/// the metadata which channels were resampled from which rate and which were left out.
/// </summary>
/// <remarks>
/// <para>Clinical EDF/BDF files keep slow sensors (SpO2, pulse, respiration at 1–64 Hz) beside EEG
/// at 256–512 Hz. A recording has one rate, so such a channel is resampled to it with the
/// <see cref="IWholeSignalResampler"/> the caller hands in (the polyphase resampler, which equals
/// SciPy's <c>resample_poly</c>), or left out by naming only the wanted channels. Without a
/// resampler, different rates are refused, naming them, as before.</para>
/// <para>Resampled sample m is the signal at m / rate, the same instant as at the source rate, so
/// events keep their onsets; their sample indices are recounted at the recording's rate
/// (round half to even, as everywhere in import). The recording is as long as its fastest
/// selected channel; a resampled channel one sample short (a duration that is not whole samples
/// at both rates) is extended by its last value.</para>
/// <para>Metadata: <c>resampled_channels</c> (which, from which rate, by what method) and
/// <c>channel_rates_hz</c> (every kept channel's own rate, JSON) when anything was resampled;
/// <c>left_out_channels</c> when <c>--channels</c> dropped any.</para>
/// </remarks>
public static class ChannelPlan
{
    /// <summary>The recording <paramref name="source"/> becomes under <paramref name="options"/>.</summary>
    /// <param name="path">The source file, for messages.</param>
    /// <param name="source">What its reader found.</param>
    /// <param name="options">Channels, rate and resampler.</param>
    /// <exception cref="RecordingFormatException">When a named channel is not in the file, the rate is not valid, or rates differ with no resampler to bring them together.</exception>
    public static SourceRecording Apply(string path, SourceRecording source, ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        int count = source.Info.ChannelCount;
        var rates = Enumerable.Range(0, count).Select(c => source.ChannelRatesHz?[c] ?? source.Info.SampleRateHz).ToArray();
        var keep = Select(path, source, options.Channels);
        if (options.RateHz is { } asked && (!double.IsFinite(asked) || asked <= 0))
        {
            throw new RecordingFormatException(path, $"--rate {asked} is not a positive number of Hz.");
        }

        double target = options.RateHz ?? keep.Max(c => rates[c]);
        var slow = keep.Where(c => rates[c] != target).ToArray();
        if (slow.Length > 0 && options.Resampler is null)
        {
            string list = string.Join(", ", keep.GroupBy(c => rates[c]).OrderByDescending(g => g.Key)
                .Select(g => $"{g.Key:G6} Hz ({string.Join(" ", g.Take(4).Select(c => source.OriginalLabels[c]))}{(g.Count() > 4 ? " …" : "")})"));
            string what = source.ChannelRatesHz is null
                ? $"the file is at {source.Info.SampleRateHz:G6} Hz and {target:G6} Hz was asked for"
                : $"signals have different sample rates: {list}";
            throw new RecordingFormatException(path,
                $"{what}. EegDann recordings have one rate for all channels: import with `eegdann import`, which resamples to the highest rate (or --rate), or keep only channels of one rate with --channels.");
        }

        if (slow.Length == 0 && keep.Length == count && source.ChannelRatesHz is null)
        {
            return source;
        }

        int fastest = keep.OrderByDescending(c => rates[c]).First();
        long length = (long)Math.Round(source.Samples[fastest].Length / rates[fastest] * target);
        if (length > Array.MaxLength)
        {
            throw new RecordingFormatException(path, $"{length} samples per channel at {target:G6} Hz is more than one recording can hold in memory.");
        }

        var samples = new float[keep.Length][];
        for (int k = 0; k < keep.Length; k++)
        {
            int c = keep[k];
            float[] values;
            try
            {
                values = rates[c] == target ? source.Samples[c] : options.Resampler!.Resample(source.Samples[c], rates[c], target);
            }
            catch (ArgumentException e)
            {
                throw new RecordingFormatException(path, $"channel '{source.OriginalLabels[c]}' cannot be resampled from {rates[c]:G6} Hz to {target:G6} Hz: {e.Message}", e);
            }

            samples[k] = Fit(values, (int)length);
        }

        var extra = new Dictionary<string, string>(source.Extra, StringComparer.Ordinal);
        if (slow.Length > 0)
        {
            extra["resampled_channels"] = string.Join("; ", slow.GroupBy(c => rates[c]).OrderByDescending(g => g.Key)
                    .Select(g => $"{string.Join(", ", g.Select(c => source.OriginalLabels[c]))} from {g.Key.ToString("G6", CultureInfo.InvariantCulture)} Hz"))
                + $" to {target.ToString("G6", CultureInfo.InvariantCulture)} Hz by {options.Resampler!.Method}";
            extra["channel_rates_hz"] = JsonSerializer.Serialize(keep.ToDictionary(c => source.Info.Channels[c], c => rates[c]));
        }

        var dropped = Enumerable.Range(0, count).Where(c => !keep.Contains(c)).ToArray();
        if (dropped.Length > 0)
        {
            extra["left_out_channels"] = string.Join(", ", dropped.Select(c => $"{source.OriginalLabels[c]} ({rates[c].ToString("G6", CultureInfo.InvariantCulture)} Hz)")) + " (not in --channels)";
        }

        var events = target == source.Info.SampleRateHz
            ? source.Events
            : source.Events.Select(e => e with { Sample = (long)Math.Round(e.OnsetSeconds * target) }).ToList();
        return source with
        {
            Info = new SignalInfo(target, keep.Select(c => source.Info.Channels[c]).ToArray()),
            Samples = samples,
            ChannelRatesHz = null,
            Events = events,
            OriginalLabels = keep.Select(c => source.OriginalLabels[c]).ToArray(),
            Units = keep.Select(c => source.Units[c]).ToArray(),
            Extra = extra,
        };
    }

    private static int[] Select(string path, SourceRecording source, IReadOnlyList<string>? names)
    {
        if (names is null || names.Count == 0)
        {
            return Enumerable.Range(0, source.Info.ChannelCount).ToArray();
        }

        var result = new List<int>();
        var missing = new List<string>();
        foreach (var name in names)
        {
            int c = source.Info.IndexOf(name);
            if (c < 0)
            {
                c = Enumerable.Range(0, source.OriginalLabels.Count).FirstOrDefault(i => source.OriginalLabels[i].Trim() == name.Trim(), -1);
            }

            if (c < 0)
            {
                missing.Add(name);
            }
            else if (result.Contains(c))
            {
                throw new RecordingFormatException(path, $"--channels names channel '{name}' twice.");
            }
            else
            {
                result.Add(c);
            }
        }

        if (missing.Count > 0)
        {
            throw new RecordingFormatException(path,
                $"--channels names {string.Join(", ", missing.Select(m => $"'{m}'"))}, not in the file; its channels are {string.Join(" ", source.Info.Channels)}.");
        }

        return result.ToArray();
    }

    private static float[] Fit(float[] values, int length)
    {
        if (values.Length == length)
        {
            return values;
        }

        var result = new float[length];
        int copy = Math.Min(length, values.Length);
        Array.Copy(values, result, copy);
        if (copy > 0)
        {
            Array.Fill(result, values[copy - 1], copy, length - copy);
        }

        return result;
    }
}
