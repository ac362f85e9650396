namespace EegDann.Recordings;

/// <summary>
/// A contiguous run of samples of every channel, as read from one row group of a recording.
/// </summary>
/// <param name="FirstSample">Index of the block's first sample in the recording (0-based).</param>
/// <param name="Samples">Samples, <c>[channel][sample]</c>, in the recording's channel order, all the same length (µV).</param>
public sealed record SampleBlock(long FirstSample, float[][] Samples)
{
    /// <summary>Samples per channel in this block.</summary>
    public int Length => Samples.Length == 0 ? 0 : Samples[0].Length;
}
