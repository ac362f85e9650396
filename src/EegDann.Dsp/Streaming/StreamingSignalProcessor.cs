using EegDann.Core;
using EegDann.Dsp.Filters;
using EegDann.Dsp.Resampling;
using EegDann.Dsp.Segmentation;

namespace EegDann.Dsp.Streaming;

/// <summary>
/// The streaming signal path: raw chunks in (source channel order and rate) → channel selection
/// and float→double → optional resampling → in-place stages (filters, re-referencing) in order →
/// optional filter bank (one copy of every channel per band) → history → segmenters (epochs,
/// sliding windows). Batch work (calibration, export) pushes a whole
/// recording through this same object, so offline equals online by construction.
/// </summary>
/// <remarks>
/// Chunks are processed in blocks of at most <see cref="BlockSize"/> input samples, so a chunk of
/// any size (one sample to a whole recording) uses fixed buffers allocated at construction.
/// Not thread-safe: one stream, one caller.
/// </remarks>
public sealed class StreamingSignalProcessor
{
    /// <summary>Input samples processed per block.</summary>
    public const int BlockSize = 256;

    private readonly ChannelSelector _selector;
    private readonly PolyphaseResampler? _resampler;
    private readonly ISampleStage[] _stages;
    private readonly ISegmenter[] _segmenters;
    private readonly FilterBank? _filterBank;
    private readonly double[] _selected;
    private readonly double[] _work;
    private readonly double[]? _banded;
    private long _nextInputIndex;
    private bool _completed;

    /// <summary>Assembles the path and checks that its parts fit together.</summary>
    /// <param name="selector">Maps the source's channels to the pipeline's.</param>
    /// <param name="resampler">Resampler (built with <see cref="BlockSize"/> as its block), or null when rates agree.</param>
    /// <param name="stages">In-place stages, run in this order.</param>
    /// <param name="segmenters">Epoch cutters and windowers fed from the history.</param>
    /// <param name="extraHistory">Extra samples of history to keep beyond the longest segment (for callers that read it).</param>
    /// <param name="filterBank">
    /// A filter bank after the stages, or null. With a bank the history and the segments hold
    /// <see cref="FilterBank.OutputChannelCount"/> channels (band-major); it must accept blocks of
    /// the resampler's largest output (or <see cref="BlockSize"/>).
    /// </param>
    public StreamingSignalProcessor(ChannelSelector selector, PolyphaseResampler? resampler, IReadOnlyList<ISampleStage> stages, IReadOnlyList<ISegmenter> segmenters, int extraHistory = 0, FilterBank? filterBank = null)
    {
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(segmenters);
        int c = selector.ChannelCount;
        foreach (var stage in stages)
        {
            if (stage.ChannelCount != c)
            {
                throw new ArgumentException($"stage {stage.GetType().Name} was built for {stage.ChannelCount} channels, the path has {c}.", nameof(stages));
            }
        }

        if (resampler != null && resampler.MaxInputBlock < BlockSize)
        {
            throw new ArgumentException($"the resampler must accept blocks of {BlockSize} samples.", nameof(resampler));
        }

        int maxOut = resampler?.MaxOutputBlock ?? BlockSize;
        if (filterBank != null && (filterBank.InputChannelCount != c || filterBank.MaxBlockSamples < Math.Max(maxOut, BlockSize)))
        {
            throw new ArgumentException($"the filter bank must take {c} channels in blocks of {Math.Max(maxOut, BlockSize)} samples.", nameof(filterBank));
        }

        _selector = selector;
        _resampler = resampler;
        _stages = stages.ToArray();
        _segmenters = segmenters.ToArray();
        _filterBank = filterBank;
        _selected = new double[BlockSize * c];
        _work = new double[Math.Max(maxOut, BlockSize) * c];
        OutputChannelCount = filterBank?.OutputChannelCount ?? c;
        _banded = filterBank is null ? null : new double[Math.Max(maxOut, BlockSize) * OutputChannelCount];
        int longest = _segmenters.Length == 0 ? 1 : _segmenters.Max(s => s.MaxSegmentLength);
        History = new SignalHistory(OutputChannelCount, longest + Math.Max(maxOut, BlockSize) + Math.Max(0, extraHistory));
    }

    /// <summary>Channels per sample in the history and the segments: the pipeline's channels, times the bands of a filter bank.</summary>
    public int OutputChannelCount { get; }

    /// <summary>
    /// The largest block of filter-bank input one call to <see cref="FilterBank.Process"/> gets on
    /// this path (size a bank for it): the resampler's largest output block, or <see cref="BlockSize"/>.
    /// </summary>
    public static int MaxDeliveredBlock(PolyphaseResampler? resampler) => Math.Max(resampler?.MaxOutputBlock ?? BlockSize, BlockSize);

    /// <summary>The filtered samples retained (pipeline channels and rate).</summary>
    public SignalHistory History { get; }

    /// <summary>Stream index (source rate) the next chunk must start at.</summary>
    public long NextInputIndex => _nextInputIndex;

    /// <summary>Channels the source delivers per sample.</summary>
    public int SourceChannelCount => _selector.SourceChannelCount;

    /// <summary>Processes a chunk.</summary>
    /// <exception cref="StreamDiscontinuityException">When the chunk does not start where the previous one ended (call <see cref="Restart"/> after a gap).</exception>
    public void Push(SampleChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        Push(chunk.Span, chunk.SampleCount, chunk.FirstSampleIndex);
    }

    /// <summary>Processes <paramref name="sampleCount"/> samples (sample-major, source channel order, µV) starting at stream index <paramref name="firstSampleIndex"/>.</summary>
    /// <exception cref="StreamDiscontinuityException">When <paramref name="firstSampleIndex"/> is not <see cref="NextInputIndex"/>.</exception>
    public void Push(ReadOnlySpan<float> samples, int sampleCount, long firstSampleIndex)
    {
        if (_completed)
        {
            throw new InvalidOperationException("the stream was completed; call Restart to begin another.");
        }

        if (firstSampleIndex != _nextInputIndex)
        {
            throw new StreamDiscontinuityException(_nextInputIndex, firstSampleIndex);
        }

        int inC = _selector.SourceChannelCount;
        if (samples.Length < sampleCount * inC)
        {
            throw new ArgumentException($"{sampleCount} samples of {inC} channels need {sampleCount * inC} values, got {samples.Length}.", nameof(samples));
        }

        for (int offset = 0; offset < sampleCount; offset += BlockSize)
        {
            int n = Math.Min(BlockSize, sampleCount - offset);
            _selector.Select(samples.Slice(offset * inC, n * inC), n, _selected);
            int produced;
            if (_resampler is null)
            {
                _selected.AsSpan(0, n * _selector.ChannelCount).CopyTo(_work);
                produced = n;
            }
            else
            {
                produced = _resampler.Process(_selected, n, _work);
            }

            _nextInputIndex += n;
            Deliver(produced);
        }
    }

    /// <summary>Ends a finite stream (a recording): flushes the resampler's tail. Epochs running past the end stay pending.</summary>
    public void Complete()
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        if (_resampler != null)
        {
            Deliver(_resampler.Complete(_work));
        }
    }

    /// <summary>
    /// Starts over at <paramref name="firstSampleIndex"/> (source rate), e.g. after a gap: filter
    /// states and history are cleared, segments spanning the gap are dropped.
    /// </summary>
    public void Restart(long firstSampleIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstSampleIndex);
        foreach (var stage in _stages)
        {
            stage.Reset();
        }

        _filterBank?.Reset();
        long outputIndex = firstSampleIndex;
        if (_resampler != null)
        {
            _resampler.Restart(firstSampleIndex);
            outputIndex = _resampler.NextOutputIndex;
        }

        History.Restart(outputIndex);
        foreach (var segmenter in _segmenters)
        {
            segmenter.Restart(outputIndex);
        }

        _nextInputIndex = firstSampleIndex;
        _completed = false;
    }

    private void Deliver(int sampleCount)
    {
        if (sampleCount == 0)
        {
            return;
        }

        foreach (var stage in _stages)
        {
            stage.Process(_work, sampleCount);
        }

        if (_filterBank is null)
        {
            History.Append(_work, sampleCount);
        }
        else
        {
            _filterBank.Process(_work, sampleCount, _banded!);
            History.Append(_banded, sampleCount);
        }
        foreach (var segmenter in _segmenters)
        {
            segmenter.OnAppended(History);
        }
    }
}

/// <summary>A chunk did not start where the stream left off (a gap or an overlap in sample indices).</summary>
public sealed class StreamDiscontinuityException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public StreamDiscontinuityException(long expected, long actual)
        : base($"the chunk starts at sample {actual}, the stream is at sample {expected} ({(actual > expected ? $"a gap of {actual - expected}" : $"an overlap of {expected - actual}")} samples).")
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The index the stream expected.</summary>
    public long Expected { get; }

    /// <summary>The index the chunk started at.</summary>
    public long Actual { get; }
}
