using System.Numerics;
using EegDann.Core;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;

namespace EegDann.Daemon.Processing;

/// <summary>
/// The signal-quality rules of the fail-safe, on the channels the model reads: a chunk with NaN or
/// ±∞ in such a channel must never reach the recursive filters; a window in which such a channel is
/// flat (peak-to-peak below <see cref="FailSafeOptions.FlatMicrovolts"/>) or reaches the saturation
/// level (|x| ≥ <see cref="FailSafeOptions.SaturationMicrovolts"/>) in the raw source samples, or
/// whose network input is not finite, must not be decoded. Channels the model does not read are
/// never a reason.
/// </summary>
/// <remarks>No allocation per chunk or window. Not thread-safe: one stream, one caller.</remarks>
internal sealed class ChannelQualityCheck(FailSafeOptions options)
{
    private readonly float _flat = (float)options.FlatMicrovolts;
    private readonly float _saturation = (float)options.SaturationMicrovolts;
    private int[] _used = [];

    /// <summary>Source channel indices of the channels the model reads (those the stream has).</summary>
    public ReadOnlySpan<int> UsedChannels => _used;

    /// <summary>Checks the channels the pipeline on <paramref name="pipeline"/> reads from now on, in <paramref name="stream"/>'s order.</summary>
    public void Use(SignalInfo stream, SignalInfo pipeline) =>
        _used = pipeline.Channels.Select(stream.IndexOf).Where(i => i >= 0).ToArray();

    /// <summary>The first channel the model reads with a NaN or infinite value in the chunk (and that sample's index), or -1.</summary>
    public int FindNonFinite(SampleChunk chunk, out long sample)
    {
        sample = -1;
        var values = chunk.Span;
        if (AllFinite(values))
        {
            return -1;
        }

        int c = chunk.ChannelCount;
        for (int s = 0; s < chunk.SampleCount; s++)
        {
            foreach (int ch in _used)
            {
                if (!float.IsFinite(values[(s * c) + ch]))
                {
                    sample = chunk.FirstSampleIndex + s;
                    return ch;
                }
            }
        }

        // Only channels the model does not read are bad.
        return -1;
    }

    /// <summary>
    /// The first channel the model reads that is flat or saturated over the raw source samples
    /// [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="raw"/> (the reason says
    /// which), or -1 with <see cref="FailSafeReason.None"/>.
    /// </summary>
    public int FindBadChannel(RawSignalHistory raw, long start, long end, out FailSafeReason reason)
    {
        var (bad, saturated) = raw.FindBadChannel(start, end, _used, _flat, _saturation);
        reason = bad < 0 ? FailSafeReason.None : saturated ? FailSafeReason.SaturatedChannel : FailSafeReason.FlatChannel;
        return bad;
    }

    /// <summary>Whether every value is finite (the network's input must be).</summary>
    public static bool AllFinite(ReadOnlySpan<double> values)
    {
        foreach (double v in values)
        {
            if (!double.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        int width = Vector<float>.Count;
        int i = 0;
        for (; i <= values.Length - width; i += width)
        {
            // x − x is 0 for every finite x and NaN for NaN and ±∞.
            var v = new Vector<float>(values[i..]);
            if (!Vector.EqualsAll(v - v, Vector<float>.Zero))
            {
                return false;
            }
        }

        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return false;
            }
        }

        return true;
    }
}
