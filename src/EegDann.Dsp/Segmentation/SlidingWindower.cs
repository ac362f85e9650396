using EegDann.Dsp.Streaming;

namespace EegDann.Dsp.Segmentation;

/// <summary>Receives sliding windows. The span is only valid during the call (the buffer is reused).</summary>
public interface IWindowSink
{
    /// <summary>One window, channel-major (channels × length), µV.</summary>
    /// <param name="startSample">Stream index of the window's first sample.</param>
    /// <param name="window">channels × length values, channel-major.</param>
    void OnWindow(long startSample, ReadOnlySpan<double> window);
}

/// <summary>
/// Cuts the windows of a <see cref="WindowGrid"/> (window k covers [k·stride, k·stride + length)
/// in stream indices), each emitted as soon as its last sample arrives.
/// </summary>
public sealed class SlidingWindower : ISegmenter
{
    private readonly IWindowSink _sink;
    private readonly double[] _window;
    private readonly int _channels;
    private long _nextStart;

    /// <summary>Creates the windower.</summary>
    /// <param name="channelCount">Channels per sample.</param>
    /// <param name="length">Window length in samples, &gt; 0.</param>
    /// <param name="stride">Samples between window starts, &gt; 0.</param>
    /// <param name="sink">Receives each window.</param>
    public SlidingWindower(int channelCount, int length, int stride, IWindowSink sink)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channelCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentNullException.ThrowIfNull(sink);
        _channels = channelCount;
        Grid = new WindowGrid(length, stride);
        _sink = sink;
        _window = new double[channelCount * length];
    }

    /// <summary>The grid the windows are cut on.</summary>
    public WindowGrid Grid { get; }

    /// <summary>Window length, samples.</summary>
    public int Length => Grid.Length;

    /// <summary>Samples between window starts.</summary>
    public int Stride => Grid.Stride;

    /// <summary>Windows emitted since construction.</summary>
    public long WindowCount { get; private set; }

    /// <inheritdoc />
    public int MaxSegmentLength => Length;

    /// <inheritdoc />
    public void OnAppended(SignalHistory history)
    {
        if (history.ChannelCount != _channels)
        {
            throw new InvalidOperationException($"the windower was built for {_channels} channels, the stream has {history.ChannelCount}.");
        }

        while (_nextStart + Length <= history.EndIndex)
        {
            if (_nextStart >= history.StartIndex)
            {
                history.CopyChannelMajor(_nextStart, Length, _window);
                WindowCount++;
                _sink.OnWindow(_nextStart, _window);
            }

            _nextStart += Stride;
        }
    }

    /// <inheritdoc />
    public void Restart(long index)
    {
        _nextStart = Grid.FirstStartAtOrAfter(index);
    }
}
