using EegDann.Core;
using EegDann.Dsp.Resampling;
using EegDann.Dsp.Streaming;

namespace EegDann.Pipelines;

/// <summary>
/// Which failures of the signal path and the fits are problems with the recordings a person chose
/// (the use cases report them naming the file, exit 2), as opposed to bugs (which propagate: the CLI
/// logs them with their stack trace and exits 70).
/// </summary>
internal static class InputProblems
{
    /// <summary>
    /// Whether <paramref name="e"/> says the recordings do not suit the pipeline: a channel it reads is
    /// missing, their rate cannot feed it, or their data cannot be fitted. Any other exception from
    /// the same calls, an <see cref="ArgumentException"/> included, is a bug.
    /// </summary>
    public static bool IsDataProblem(Exception e) =>
        e is ChannelMismatchException or UnsupportedSampleRateException or FitDataException;

    /// <summary>
    /// The first NaN or infinite sample of <paramref name="recording"/>, described (channel and
    /// sample), or null when every sample is finite: the causal filters would carry one into every
    /// later sample, and a fit on it would fail in a matrix routine far from the file.
    /// </summary>
    public static string? FirstNonFinite(Recording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        for (int c = 0; c < recording.Samples.Length; c++)
        {
            int i = Array.FindIndex(recording.Samples[c], v => !float.IsFinite(v));
            if (i >= 0)
            {
                return $"channel '{recording.Info.Channels[c]}' has a non-finite value (NaN or infinity) at sample {i}; the causal filters would carry it into every later sample.";
            }
        }

        return null;
    }
}
