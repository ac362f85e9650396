namespace EegDann.Dsp.Filters;

/// <summary>
/// A bank of causal band filters run side by side on the same stream: every input sample of
/// <see cref="InputChannelCount"/> channels becomes <see cref="BandCount"/> × that many values,
/// band by band (output channel <c>b · channels + c</c> is channel <c>c</c> filtered by band
/// <c>b</c>'s design). The streaming form of filtering a recording once per band, as filter-bank
/// methods (FBCSP, filter-bank log-variance) do; one <see cref="SosFilter"/> state per band and channel.
/// </summary>
/// <remarks>
/// Each band runs the exact <see cref="SosFilter"/> arithmetic, so a band of the bank equals a
/// <see cref="SosFilter"/> with the same design on the same input, bit for bit, whatever the chunk
/// sizes. No allocation after construction beyond one block of scratch per band.
/// </remarks>
public sealed class FilterBank
{
    private readonly SosFilter[] _filters;
    private readonly double[] _scratch;
    private readonly int _blockSamples;

    /// <summary>Creates the bank with zero state.</summary>
    /// <param name="designs">One design per band, all for the same sample rate; at least one.</param>
    /// <param name="channelCount">Input channels, &gt; 0.</param>
    /// <param name="blockSamples">The most samples one <see cref="Process"/> call will get, &gt; 0.</param>
    /// <exception cref="ArgumentException">When there are no designs or their rates differ.</exception>
    public FilterBank(IReadOnlyList<SosDesign> designs, int channelCount, int blockSamples)
    {
        ArgumentNullException.ThrowIfNull(designs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channelCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSamples);
        if (designs.Count == 0)
        {
            throw new ArgumentException("a filter bank needs at least one band.", nameof(designs));
        }

        if (designs.Any(d => d is null || !d.SampleRateHz.Equals(designs[0].SampleRateHz)))
        {
            throw new ArgumentException("the designs of a filter bank must all be for the same sample rate.", nameof(designs));
        }

        Designs = designs.ToArray();
        InputChannelCount = channelCount;
        _filters = designs.Select(d => new SosFilter(d, channelCount)).ToArray();
        _blockSamples = blockSamples;
        _scratch = new double[blockSamples * channelCount];
    }

    /// <summary>The band designs, in band order.</summary>
    public IReadOnlyList<SosDesign> Designs { get; }

    /// <summary>Channels per input sample.</summary>
    public int InputChannelCount { get; }

    /// <summary>Number of bands.</summary>
    public int BandCount => _filters.Length;

    /// <summary>Values per output sample: bands × input channels.</summary>
    public int OutputChannelCount => _filters.Length * InputChannelCount;

    /// <summary>The most samples one call may process.</summary>
    public int MaxBlockSamples => _blockSamples;

    /// <summary>
    /// Filters <paramref name="sampleCount"/> samples (sample-major, <see cref="InputChannelCount"/>
    /// values each) into <paramref name="output"/> (sample-major, <see cref="OutputChannelCount"/>
    /// values each, band-major within a sample).
    /// </summary>
    /// <exception cref="ArgumentException">When the block is larger than <see cref="MaxBlockSamples"/> or a span is too short.</exception>
    public void Process(ReadOnlySpan<double> input, int sampleCount, Span<double> output)
    {
        int c = InputChannelCount, o = OutputChannelCount;
        if (sampleCount > _blockSamples)
        {
            throw new ArgumentException($"the filter bank takes at most {_blockSamples} samples per call, got {sampleCount}.", nameof(sampleCount));
        }

        if (input.Length < sampleCount * c || output.Length < sampleCount * o)
        {
            throw new ArgumentException($"{sampleCount} samples need {sampleCount * c} input and {sampleCount * o} output values.");
        }

        var scratch = _scratch.AsSpan(0, sampleCount * c);
        for (int b = 0; b < _filters.Length; b++)
        {
            input[..(sampleCount * c)].CopyTo(scratch);
            _filters[b].Process(scratch, sampleCount);
            for (int n = 0; n < sampleCount; n++)
            {
                scratch.Slice(n * c, c).CopyTo(output.Slice((n * o) + (b * c), c));
            }
        }
    }

    /// <summary>Forgets every band's state (as at the start of a stream).</summary>
    public void Reset()
    {
        foreach (var filter in _filters)
        {
            filter.Reset();
        }
    }
}
