using EegDann.Core;
using EegDann.Dsp.Streaming;

namespace EegDann.Dsp.Segmentation;

/// <summary>One epoch to cut: where it starts, how long it is, what it is.</summary>
/// <param name="StartSample">Stream index of its first sample (pipeline rate), ≥ 0.</param>
/// <param name="Length">Samples, &gt; 0.</param>
/// <param name="Info">Subject, recording, first sample and label carried by the epoch.</param>
public sealed record EpochRequest(long StartSample, int Length, EpochInfo Info);

/// <summary>
/// Cuts event-locked epochs out of the filtered stream as their samples arrive: calibration's
/// epochs come from the same stream, stages and history as streaming's sliding windows.
/// </summary>
public sealed class EpochCutter : ISegmenter
{
    private readonly EpochRequest[] _requests;
    private readonly List<Epoch> _epochs = [];
    private readonly List<EpochRequest> _missed = [];
    private readonly int _channels;
    private int _next;

    /// <summary>Creates the cutter.</summary>
    /// <param name="channelCount">Channels per sample.</param>
    /// <param name="requests">Epochs to cut, in any order (they are sorted by start).</param>
    public EpochCutter(int channelCount, IEnumerable<EpochRequest> requests)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channelCount);
        ArgumentNullException.ThrowIfNull(requests);
        _channels = channelCount;
        _requests = requests.OrderBy(r => r.StartSample).ThenBy(r => r.Length).ToArray();
        foreach (var r in _requests)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(r.StartSample);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(r.Length);
        }

        MaxSegmentLength = _requests.Length == 0 ? 1 : _requests.Max(r => r.Length);
    }

    /// <inheritdoc />
    public int MaxSegmentLength { get; }

    /// <summary>The epochs cut so far, in start order.</summary>
    public IReadOnlyList<Epoch> Epochs => _epochs;

    /// <summary>Requests that can no longer be cut (they started before a restart or before the history).</summary>
    public IReadOnlyList<EpochRequest> Missed => _missed;

    /// <summary>Requests not yet cut (at the end of a recording: those running past its last sample).</summary>
    public IEnumerable<EpochRequest> Pending => _requests.Skip(_next);

    /// <inheritdoc />
    public void OnAppended(SignalHistory history)
    {
        while (_next < _requests.Length)
        {
            var r = _requests[_next];
            if (r.StartSample + r.Length > history.EndIndex)
            {
                break;
            }

            if (history.Holds(r.StartSample, r.Length))
            {
                var data = new double[_channels * r.Length];
                history.CopyChannelMajor(r.StartSample, r.Length, data);
                _epochs.Add(new Epoch(r.Info, _channels, r.Length, data));
            }
            else
            {
                _missed.Add(r);
            }

            _next++;
        }
    }

    /// <inheritdoc />
    public void Restart(long index)
    {
        while (_next < _requests.Length && _requests[_next].StartSample < index)
        {
            _missed.Add(_requests[_next++]);
        }
    }
}
