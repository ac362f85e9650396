// Why one file over 400 lines: the control path's filter/window stage and its fail-safe rules.
// Issue 12 §4 asks to split it (continuity guard, one window grid shared with SlidingWindower, rate
// mapping owned by the signal pipeline, channel-quality check, model swapper); that split changes the
// control path and is a reviewed change of its own, made against the per-rule tests
// (WindowStageTests, SourceRateTests, DecodeStageTests), not a side effect of a file-length rule.
using System.Buffers;
using System.Numerics;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Dsp.Resampling;
using EegDann.Pipelines;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Processing;

/// <summary>
/// The filter/window stage: source events in, one <see cref="WindowItem"/> per window position
/// out. Chunks go through the model's <see cref="OnlineFrontEnd"/> (the same streaming stages as
/// calibration); every position on the window grid (ends at k·stride + length, stream indices at
/// the pipeline's rate) that the input passes becomes either a clean window for the decoder or a
/// fail-safe item.
/// </summary>
/// <remarks>
/// <para>Fail-safe rules. A chunk with NaN or infinity in a channel the model uses is never pushed
/// (the recursive filters would keep it forever); the filters restart at the next clean chunk. A
/// gap or overlap in sample indices restarts them too. Until the first window that lies wholly
/// after the restart, every window position passed is a fail-safe item carrying the reason. A
/// window in which a used channel is flat or reaches the saturation level, whose features are not
/// finite, or whose stream-estimated alignment is still warming up is a fail-safe item too. A
/// stream the model cannot decode (channels missing, or a rate that does not convert exactly to
/// the pipeline's) gives a fail-safe item for every window position it passes. The
/// state is logged when it is entered and when it clears, and counted.</para>
/// <para>Model swaps happen here, at the start of a chunk, so between two windows: the new model's
/// front end is primed with the recent raw signal (window length + <see cref="FailSafeOptions.SwapSettleSeconds"/>)
/// so decoding continues without a pause.</para>
/// <para>Not thread-safe: one stream, one caller.</para>
/// </remarks>
internal sealed partial class WindowStage : IOnlineWindowConsumer
{
    private const int SliceSamples = 256;
    private readonly ActiveModel _models;
    private readonly FailSafeOptions _failSafe;
    private readonly DecoderOptions _decoder;
    private readonly string _defaultSubject;
    private readonly DaemonMetrics _metrics;
    private readonly ILogger _logger;
    private List<WindowItem> _output = [];

    private StreamDescription? _stream;
    private string _subject;
    private DecoderModel? _model;
    private long _modelGeneration;
    private OnlineFrontEnd? _frontEnd;
    private (FailSafeReason Reason, string Detail) _mismatch;
    private RawSignalHistory? _raw;
    private int[] _usedChannels = [];
    private double _ratio = 1.0;
    private int _length;
    private int _stride;
    private long _expected;
    private bool _haveExpected;
    private bool _needsRestart = true;
    private long _nextEnd;
    private FailSafeReason _hold;
    private long _holdWindows;
    private long _arrival;
    private bool _priming;

    public WindowStage(ActiveModel models, FailSafeOptions failSafe, DecoderOptions decoder, AcquisitionOptions acquisition, DaemonMetrics metrics, ILogger<WindowStage> logger)
    {
        _models = models;
        _failSafe = failSafe;
        _decoder = decoder;
        _defaultSubject = acquisition.Subject;
        _subject = acquisition.Subject;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The current fail-safe reason, or <see cref="FailSafeReason.None"/>.</summary>
    public FailSafeReason Hold => _hold;

    /// <summary>Handles one source event; the items it produces are appended to <paramref name="output"/>.</summary>
    public void Handle(SourceEvent sourceEvent, List<WindowItem> output)
    {
        _output = output;
        switch (sourceEvent)
        {
            case ChunkArrived chunk:
                OnChunk(chunk.Chunk, chunk.ArrivalTimestamp);
                break;
            case StreamStarted started:
                OnStreamStarted(started.Stream);
                break;
            case StreamStopped stopped:
                OnStreamStopped(stopped.Reason);
                break;
            case StaleTick tick when _stream != null:
                // No model: the decoder keeps the one it is using (a heartbeat must not retire it).
                long end = _haveExpected ? PipelineIndex(_expected) : 0;
                _output.Add(new WindowItem(WindowItemKind.Stale, end, _model?.PipelineSignal.SampleRateHz ?? _stream.Info.SampleRateHz, tick.Timestamp, null, null, FailSafeReason.Stale));
                break;
        }
    }

    /// <inheritdoc />
    void IOnlineWindowConsumer.OnWindow(in OnlineWindow window)
    {
        if (_priming)
        {
            return;
        }

        long end = window.EndSample;
        if (end < _nextEnd)
        {
            // Already accounted for as a fail-safe position.
            return;
        }

        AccountPassed(end - 1);
        _nextEnd = end + _stride;
        var (bad, saturated) = _raw!.FindBadChannel(SourceIndex(window.StartSample), SourceIndex(end), _usedChannels, (float)_failSafe.FlatMicrovolts, (float)_failSafe.SaturationMicrovolts);
        if (bad >= 0)
        {
            var reason = saturated ? FailSafeReason.SaturatedChannel : FailSafeReason.FlatChannel;
            string channel = _stream!.Info.Channels[bad];
            Enter(reason, end, channel);
            Emit(end, reason, channel);
            return;
        }

        var input = _model!.ReadsAlignedSamples ? window.AlignedSamples : window.Features;
        if (!AllFinite(input))
        {
            Enter(FailSafeReason.NonFinite, end, "features");
            Emit(end, FailSafeReason.NonFinite, "features");
            _needsRestart = true;
            return;
        }

        if (!window.AlignmentReady)
        {
            Enter(FailSafeReason.AlignmentWarmup, end, null);
            Emit(end, FailSafeReason.AlignmentWarmup, null);
            return;
        }

        Clear(end);
        var buffer = ArrayPool<double>.Shared.Rent(input.Length);
        input.CopyTo(buffer);
        _output.Add(new WindowItem(WindowItemKind.Window, end, _model.PipelineSignal.SampleRateHz, _arrival, _model, buffer));
    }

    private void OnStreamStarted(StreamDescription stream)
    {
        string subject = stream.Subject ?? _defaultSubject;
        bool continues = _stream != null && stream.Info.Equals(_stream.Info) && subject == _subject && _model != null;
        _stream = stream;
        _subject = subject;
        _models.StreamChanged(stream, subject);
        LogStream(stream.SourceName, stream.Info.SampleRateHz, stream.Info.ChannelCount, subject, continues);
        if (!continues)
        {
            Build(_models.Current);
            _haveExpected = false;
            _needsRestart = true;
            _nextEnd = long.MinValue;
        }
    }

    private void OnStreamStopped(string reason)
    {
        if (_stream != null)
        {
            Enter(FailSafeReason.Disconnected, _haveExpected ? PipelineIndex(_expected) : 0, reason);
        }
    }

    private void OnChunk(SampleChunk chunk, long arrival)
    {
        if (_stream is null || _raw is null)
        {
            LogChunkWithoutStream(chunk.FirstSampleIndex);
            return;
        }

        _arrival = arrival;
        try
        {
            Process(chunk);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or ArithmeticException or IndexOutOfRangeException)
        {
            // A bad chunk never stops the service: log it, fail safe, start the filters again.
            LogChunkFailed(e, chunk.FirstSampleIndex, chunk.SampleCount);
            Enter(FailSafeReason.ProcessingError, PipelineIndex(chunk.EndSampleIndex), e.Message);
            _needsRestart = true;
            // The chunk's samples are spent, not missing: the next chunk is no gap.
            _haveExpected = true;
            _expected = chunk.EndSampleIndex;
            _raw.Restart(chunk.EndSampleIndex);
            AccountPassed(PipelineIndex(chunk.EndSampleIndex));
        }
    }

    private void Process(SampleChunk chunk)
    {
        if (chunk.ChannelCount != _stream!.Info.ChannelCount)
        {
            throw new ArgumentException($"a chunk of {chunk.ChannelCount} channels in a stream of {_stream.Info.ChannelCount}");
        }

        SwapIfNeeded();
        long first = chunk.FirstSampleIndex;
        long end = chunk.EndSampleIndex;
        if (_haveExpected && first != _expected)
        {
            string detail = first > _expected ? $"{first - _expected} samples missing before sample {first}" : $"sample {first} repeats or goes back (expected {_expected})";
            Enter(FailSafeReason.Gap, PipelineIndex(first), detail);
            _needsRestart = true;
            if (first < _expected)
            {
                _nextEnd = long.MinValue;
            }
            else if (_nextEnd != long.MinValue)
            {
                // Positions that end inside the gap get no item: the gap is one episode, whatever
                // its length (accounting them one by one would cost time and memory in proportion
                // to a number the source chose).
                _nextEnd = Math.Max(_nextEnd, FirstEndAbove(PipelineIndex(first)));
            }
        }

        _haveExpected = true;
        _expected = end;
        int bad = FindNonFinite(chunk, out long badSample);
        if (bad >= 0)
        {
            Enter(FailSafeReason.NonFinite, PipelineIndex(badSample), $"channel {_stream.Info.Channels[bad]} at sample {badSample}");
            _needsRestart = true;
            _raw!.Restart(end);
            AccountPassed(PipelineIndex(end));
            return;
        }

        if (_needsRestart)
        {
            Restart(first);
        }

        if (_frontEnd is null)
        {
            Enter(_mismatch.Reason, PipelineIndex(first), _mismatch.Detail);
            AccountPassed(PipelineIndex(end));
            return;
        }

        int c = chunk.ChannelCount;
        var values = chunk.Span;
        for (int done = 0; done < chunk.SampleCount; done += SliceSamples)
        {
            int n = Math.Min(SliceSamples, chunk.SampleCount - done);
            var slice = values.Slice(done * c, n * c);
            _raw!.Append(slice, n, first + done);
            _frontEnd.Push(slice, n, first + done);
        }

        if (_hold != FailSafeReason.None)
        {
            // Only positions the front end has passed: a resampler lags the input by half its
            // filter, and a position it has yet to deliver may be the clean window that clears.
            AccountPassed(_frontEnd.NextOutputIndex);
        }
    }

    /// <summary>Restarts the filters and the window accounting at source index <paramref name="first"/>.</summary>
    private void Restart(long first)
    {
        _frontEnd?.Restart(first);
        _raw!.Restart(first);
        _needsRestart = false;
        long firstEnd = FirstEndAbove(PipelineIndex(first));
        _nextEnd = Math.Max(_nextEnd, firstEnd);
    }

    private void SwapIfNeeded()
    {
        long generation = _models.Generation;
        if (generation == _modelGeneration)
        {
            return;
        }

        var next = _models.Current;
        long rawStart = _raw!.StartIndex, rawEnd = _raw.EndIndex;
        var previousRaw = _raw;
        Build(next);
        if (_frontEnd is null || _needsRestart || !_haveExpected || rawEnd <= rawStart)
        {
            _needsRestart = true;
            return;
        }

        // Prime the new model's filters with the recent raw signal (windows cut meanwhile are discarded).
        long settle = (long)Math.Ceiling(_failSafe.SwapSettleSeconds * _stream!.Info.SampleRateHz);
        long from = Math.Max(rawStart, rawEnd - (SourceLength(_length) + settle));
        var (a, b, start) = previousRaw.Range(from, rawEnd);
        var copy = new float[a.Length + b.Length];
        a.Span.CopyTo(copy);
        b.Span.CopyTo(copy.AsSpan(a.Length));
        _frontEnd.Restart(start);
        _raw!.Restart(start);
        int c = _stream.Info.ChannelCount;
        int count = copy.Length / c;
        _priming = true;
        try
        {
            for (int done = 0; done < count; done += SliceSamples)
            {
                int n = Math.Min(SliceSamples, count - done);
                var slice = copy.AsSpan(done * c, n * c);
                _raw.Append(slice, n, start + done);
                _frontEnd.Push(slice, n, start + done);
            }
        }
        finally
        {
            _priming = false;
        }

        // Positions the primed filters have not delivered yet are the new model's to decode.
        _nextEnd = FirstEndAbove(_frontEnd.NextOutputIndex);
    }

    private void Build(DecoderModel model)
    {
        _model = model;
        _modelGeneration = model.Generation;
        _length = model.WindowSamples;
        _stride = model.StrideSamples;
        var info = _stream!.Info;
        _ratio = model.PipelineSignal.SampleRateHz / info.SampleRateHz;
        _usedChannels = model.PipelineSignal.Channels.Select(info.IndexOf).Where(i => i >= 0).ToArray();
        int capacity = SourceLength(_length) + (int)Math.Ceiling(_failSafe.SwapSettleSeconds * info.SampleRateHz) + SliceSamples + 2;
        // Windows start on the stride grid: with the stream at the pipeline's rate, per-stride
        // minimum/maximum summaries make a window's flat/saturation check O(stride).
        int block = _ratio == 1.0 ? _stride : 0;
        if (_raw is null || _raw.Channels != info.ChannelCount || _raw.Capacity < capacity || _raw.BlockSamples != block)
        {
            _raw = new RawSignalHistory(info.ChannelCount, capacity, block);
        }

        try
        {
            _frontEnd = model.CreateFrontEnd(info, _subject, _decoder.Alignment, this);
            _mismatch = default;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            _frontEnd = null;
            _mismatch = (e is UnsupportedSampleRateException ? FailSafeReason.UnsupportedRate : FailSafeReason.ChannelMismatch, e.Message);
            LogCannotDecode(model.Id, _stream.SourceName, e.Message);
        }
    }

    /// <summary>Every window position with an end at or before <paramref name="pipelineEnd"/> not yet accounted for becomes a fail-safe item.</summary>
    private void AccountPassed(long pipelineEnd)
    {
        if (_nextEnd == long.MinValue)
        {
            return;
        }

        var reason = _hold == FailSafeReason.None ? FailSafeReason.Gap : _hold;
        while (_nextEnd <= pipelineEnd)
        {
            Emit(_nextEnd, reason, null);
            _nextEnd += _stride;
        }
    }

    private void Emit(long end, FailSafeReason reason, string? detail)
    {
        _holdWindows++;
        _output.Add(new WindowItem(WindowItemKind.FailSafe, end, _model?.PipelineSignal.SampleRateHz ?? _stream!.Info.SampleRateHz, _arrival, _model, null, reason, detail));
    }

    private void Enter(FailSafeReason reason, long pipelineSample, string? detail)
    {
        if (_hold == reason)
        {
            return;
        }

        _metrics.FailSafeEntered(reason);
        LogFailSafe(reason.Name(), pipelineSample, detail ?? string.Empty);
        _hold = reason;
        _holdWindows = 0;
    }

    private void Clear(long end)
    {
        if (_hold == FailSafeReason.None)
        {
            return;
        }

        LogCleared(_hold.Name(), end - 1, _holdWindows);
        _hold = FailSafeReason.None;
    }

    /// <summary>The smallest window end on the grid that is greater than <paramref name="pipelineIndex"/>.</summary>
    private long FirstEndAbove(long pipelineIndex)
    {
        long k = pipelineIndex < _length ? 0 : ((pipelineIndex - _length) / _stride) + 1;
        return (k * _stride) + _length;
    }

    private long PipelineIndex(long sourceIndex) => _ratio == 1.0 ? sourceIndex : (long)Math.Floor(sourceIndex * _ratio);

    private long SourceIndex(long pipelineIndex) => _ratio == 1.0 ? pipelineIndex : (long)Math.Floor(pipelineIndex / _ratio);

    private int SourceLength(int pipelineSamples) => (int)Math.Ceiling(pipelineSamples / _ratio) + 1;

    /// <summary>The first used channel with a NaN or infinite value in the chunk (and the sample), or -1.</summary>
    private int FindNonFinite(SampleChunk chunk, out long sample)
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
            foreach (int ch in _usedChannels)
            {
                if (!float.IsFinite(values[(s * c) + ch]))
                {
                    sample = chunk.FirstSampleIndex + s;
                    return ch;
                }
            }
        }

        // Only channels the model does not use are bad.
        return -1;
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

    private static bool AllFinite(ReadOnlySpan<double> values)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Source}: {SampleRateHz} Hz, {Channels} channels, subject {Subject} (continues the previous stream: {Continues})")]
    private partial void LogStream(string source, double sampleRateHz, int channels, string subject, bool continues);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fail-safe ({Reason}) from sample {Sample}: {Detail}")]
    private partial void LogFailSafe(string reason, long sample, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fail-safe ({Reason}) cleared: clean window ending at sample {Sample}, after {Windows} fail-safe windows")]
    private partial void LogCleared(string reason, long sample, long windows);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {ModelId} cannot decode stream {Source}: {Problem}; sending none until a model that fits is loaded")]
    private partial void LogCannotDecode(string modelId, string source, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chunk at sample {Sample} arrived before any stream header; ignored")]
    private partial void LogChunkWithoutStream(long sample);

    [LoggerMessage(Level = LogLevel.Error, Message = "Chunk at sample {Sample} ({Samples} samples) could not be processed; failing safe and restarting the filters")]
    private partial void LogChunkFailed(Exception exception, long sample, int samples);
}
