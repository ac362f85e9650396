using System.Globalization;
using EegDann.Core;

namespace EegDann.Daemon.Acquisition;

/// <summary>
/// The largest stream the daemon accepts from any source (TCP, LSL, replay): every value a client
/// or file declares is bounded here before anything is sized from it, so a hostile or mistaken
/// declaration refuses that stream instead of exhausting memory or overflowing a buffer size.
/// </summary>
/// <remarks>
/// The bounds are far above any EEG amplifier (a 256-channel system at 16 kHz is 4 M values/s)
/// and far below what would overflow the daemon's buffers (history capacities are
/// rate × seconds × channels floats, held in 32-bit array lengths).
/// </remarks>
public static class StreamLimits
{
    /// <summary>The lowest sample rate accepted, Hz.</summary>
    public const double MinSampleRateHz = 1.0;

    /// <summary>The highest sample rate accepted, Hz.</summary>
    public const double MaxSampleRateHz = 100_000.0;

    /// <summary>The most channels accepted.</summary>
    public const int MaxChannels = 1024;

    /// <summary>The longest channel label or subject accepted, characters.</summary>
    public const int MaxLabelLength = 64;

    /// <summary>The most values (samples × channels) per second accepted.</summary>
    public const double MaxValuesPerSecond = 1 << 22;

    /// <summary>
    /// The largest stream sample index accepted (2^53: indices stay exact in double precision, which
    /// the rate conversion to the pipeline's grid needs, and no window arithmetic can overflow).
    /// </summary>
    public const long MaxSampleIndex = 1L << 53;

    /// <summary>Every reason a stream with <paramref name="info"/> and <paramref name="subject"/> is refused; empty when accepted.</summary>
    public static List<string> Problems(SignalInfo info, string? subject)
    {
        ArgumentNullException.ThrowIfNull(info);
        return Problems(info.SampleRateHz, info.Channels, subject);
    }

    /// <summary>Every reason a stream of <paramref name="channels"/> at <paramref name="rate"/> Hz is refused; empty when accepted.</summary>
    public static List<string> Problems(double rate, IReadOnlyList<string> channels, string? subject)
    {
        ArgumentNullException.ThrowIfNull(channels);
        var problems = new List<string>();
        if (!(rate >= MinSampleRateHz && rate <= MaxSampleRateHz))
        {
            problems.Add($"sample_rate_hz {Show(rate)} is outside [{MinSampleRateHz:G}, {MaxSampleRateHz:G}] Hz");
        }

        if (channels.Count > MaxChannels)
        {
            problems.Add($"{channels.Count} channels are more than the {MaxChannels} accepted");
        }
        else if (rate * channels.Count > MaxValuesPerSecond)
        {
            problems.Add($"{channels.Count} channels at {Show(rate)} Hz are more than the {MaxValuesPerSecond:G} values per second accepted");
        }

        int longLabels = channels.Count(c => c.Length > MaxLabelLength);
        if (longLabels > 0)
        {
            problems.Add($"{longLabels} channel label(s) longer than {MaxLabelLength} characters");
        }

        if (subject is { Length: > MaxLabelLength })
        {
            problems.Add($"the subject is longer than {MaxLabelLength} characters");
        }

        return problems;
    }

    /// <summary>A number for a message, never longer than a few characters whatever its size.</summary>
    internal static string Show(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
