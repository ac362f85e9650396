using EegDann.Core;
using EegDann.Daemon.Acquisition;

namespace EegDann.Daemon.Calibration;

/// <summary>
/// Collects a subject's unlabeled signal for calibration: clean, gap-free stretches of the raw
/// stream (a chunk with NaN or infinity, a gap or a new stream ends a stretch), up to a maximum
/// duration (the oldest stretches are forgotten first). Not thread-safe.
/// </summary>
internal sealed class UnlabeledSignalCollector
{
    private readonly List<Stretch> _stretches = [];
    private long _total;
    private Stretch? _current;
    private SignalInfo? _info;
    private string? _subject;

    /// <param name="maxSeconds">The most signal to keep, seconds.</param>
    public UnlabeledSignalCollector(double maxSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSeconds);
        MaxSeconds = maxSeconds;
    }

    /// <summary>The most signal kept, seconds.</summary>
    public double MaxSeconds { get; }

    /// <summary>Seconds of clean signal collected.</summary>
    public double Seconds => _info is null ? 0 : _total / _info.SampleRateHz;

    /// <summary>The subject of the stream collected (null before a stream).</summary>
    public string? Subject => _subject;

    /// <summary>Takes one source event.</summary>
    /// <param name="sourceEvent">The event.</param>
    /// <param name="defaultSubject">The subject when the stream does not name one.</param>
    public void Add(SourceEvent sourceEvent, string defaultSubject)
    {
        switch (sourceEvent)
        {
            case StreamStarted started:
                string subject = started.Stream.Subject ?? defaultSubject;
                if (_info != null && (!_info.Equals(started.Stream.Info) || subject != _subject))
                {
                    // Another amplifier or another person: what was collected no longer applies.
                    _stretches.Clear();
                    _total = 0;
                }

                _info = started.Stream.Info;
                _subject = subject;
                _current = null;
                break;
            case StreamStopped:
                _current = null;
                break;
            case ChunkArrived chunk when _info != null:
                Append(chunk.Chunk);
                break;
        }
    }

    /// <summary>The stretches collected, each at least <paramref name="minSamples"/> long, as recordings of <see cref="Subject"/>.</summary>
    public IReadOnlyList<Recording> ToRecordings(int minSamples)
    {
        if (_info is null)
        {
            return [];
        }

        return _stretches.Where(s => s.Count >= minSamples).Select((s, i) => new Recording(
            _info,
            s.Channels.Select(c => c.ToArray()).ToArray(),
            [],
            new RecordingMetadata { Subject = _subject!, Session = "online", Run = $"stretch{i + 1:000}" })).ToList();
    }

    private void Append(SampleChunk chunk)
    {
        int c = _info!.ChannelCount;
        if (chunk.ChannelCount != c || !AllFinite(chunk.Span))
        {
            _current = null;
            return;
        }

        if (_current is null || _current.End != chunk.FirstSampleIndex)
        {
            _current = new Stretch(c, chunk.FirstSampleIndex);
            _stretches.Add(_current);
        }

        var values = chunk.Span;
        for (int s = 0; s < chunk.SampleCount; s++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                _current.Channels[ch].Add(values[(s * c) + ch]);
            }
        }

        _current.End = chunk.EndSampleIndex;
        _total += chunk.SampleCount;
        long limit = (long)(MaxSeconds * _info.SampleRateHz);
        while (_total > limit)
        {
            // Forget the oldest signal first.
            var oldest = _stretches[0];
            long excess = _total - limit;
            if (excess >= oldest.Count && oldest != _current)
            {
                _total -= oldest.Count;
                _stretches.RemoveAt(0);
            }
            else
            {
                int drop = (int)Math.Min(excess, oldest.Count - 1);
                oldest.DropFirst(drop);
                _total -= drop;
                break;
            }
        }
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Stretch(int channels, long start)
    {
        public List<float>[] Channels { get; } = Enumerable.Range(0, channels).Select(_ => new List<float>()).ToArray();

        public long End { get; set; } = start;

        public int Count => Channels[0].Count;

        public void DropFirst(int count)
        {
            foreach (var channel in Channels)
            {
                channel.RemoveRange(0, count);
            }
        }
    }
}
