using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Resampling;
using EegDann.Dsp.Segmentation;
using EegDann.Pipelines;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Processing;

/// <summary>What <see cref="ModelSwapper.SwapIfNeeded"/> did.</summary>
internal enum SwapOutcome
{
    /// <summary>The model in use is the current one.</summary>
    None,

    /// <summary>The new model's filters were primed with the recent raw signal: decoding goes on at the next window position.</summary>
    Primed,

    /// <summary>The new model is bound but could not be primed: its filters start at the next chunk.</summary>
    NeedsRestart,
}

/// <summary>
/// The model that decodes the stream, bound to it: the model's front end (its own streaming
/// stages, built for the stream's channels and rate), the window grid and rate mapping it implies,
/// and the recent raw signal; and the hot swap to the <see cref="ActiveModel"/>'s current model, at
/// the start of a chunk (between two windows), with the new front end primed from the raw signal
/// (window length + <see cref="FailSafeOptions.SwapSettleSeconds"/>) so that no window position is
/// lost or decoded twice.
/// </summary>
/// <remarks>Not thread-safe: one stream, one caller.</remarks>
internal sealed partial class ModelSwapper(ActiveModel models, FailSafeOptions failSafe, DecoderOptions decoder, ILogger logger, AlignmentWorker? alignmentWorker = null)
{
    /// <summary>Samples pushed through the front end at a time.</summary>
    public const int SliceSamples = 256;

    private StreamDescription? _stream;
    private string _subject = string.Empty;
    private IOnlineWindowConsumer? _consumer;
    private long _generation;

    /// <summary>The model in use, or null before the first stream.</summary>
    public DecoderModel? Model { get; private set; }

    /// <summary>The model's front end for the stream, or null when the model cannot decode it (see <see cref="Mismatch"/>).</summary>
    public OnlineFrontEnd? FrontEnd { get; private set; }

    /// <summary>Why the model cannot decode the stream (<see cref="FailSafeReason.ChannelMismatch"/> or <see cref="FailSafeReason.UnsupportedRate"/>, and the problem), when <see cref="FrontEnd"/> is null.</summary>
    public (FailSafeReason Reason, string Detail) Mismatch { get; private set; }

    /// <summary>The model's window grid (pipeline rate).</summary>
    public WindowGrid Grid { get; private set; } = new(1, 1);

    /// <summary>Source indices to the model's pipeline indices: the front end's <see cref="OnlineFrontEnd.Rate"/> (or, without one, the pipeline's <see cref="Pipelines.Definitions.SignalRequirements.RateFrom"/>).</summary>
    public SampleRateMapping Rate { get; private set; } = new(1, 1);

    /// <summary>The recent raw source samples (for the quality check and for priming), or null before the first stream.</summary>
    public RawSignalHistory? Raw { get; private set; }

    /// <summary>True while a new front end is primed: the windows it delivers meanwhile are not items.</summary>
    public bool Priming { get; private set; }

    /// <summary>Binds <paramref name="model"/> to a new stream; its windows go to <paramref name="consumer"/>.</summary>
    public void Bind(StreamDescription stream, string subject, DecoderModel model, IOnlineWindowConsumer consumer)
    {
        _stream = stream;
        _subject = subject;
        _consumer = consumer;
        Build(model);
    }

    /// <summary>
    /// Swaps in the current model if it changed. With <paramref name="canPrime"/> (the filters run
    /// continuously up to now) and recent raw signal at hand, the new front end is primed with it,
    /// its windows discarded; the positions it has not delivered yet (after its
    /// <see cref="OnlineFrontEnd.NextOutputIndex"/>) are the new model's to decode.
    /// </summary>
    public SwapOutcome SwapIfNeeded(bool canPrime)
    {
        if (models.Generation == _generation || _stream is null)
        {
            return SwapOutcome.None;
        }

        var previousRaw = Raw!;
        long rawStart = previousRaw.StartIndex, rawEnd = previousRaw.EndIndex;
        Build(models.Current);
        if (FrontEnd is null || !canPrime || rawEnd <= rawStart)
        {
            return SwapOutcome.NeedsRestart;
        }

        long settle = (long)Math.Ceiling(failSafe.SwapSettleSeconds * _stream.Info.SampleRateHz);
        long from = Math.Max(rawStart, rawEnd - (Rate.SourceSamples(Grid.Length) + settle));
        var (a, b, start) = previousRaw.Range(from, rawEnd);
        // Copied before the restart: the new model may reuse the same history.
        var copy = new float[a.Length + b.Length];
        a.Span.CopyTo(copy);
        b.Span.CopyTo(copy.AsSpan(a.Length));
        FrontEnd.Restart(start);
        Raw!.Restart(start);
        Priming = true;
        try
        {
            Push(copy, copy.Length / _stream.Info.ChannelCount, start);
        }
        finally
        {
            Priming = false;
        }

        return SwapOutcome.Primed;
    }

    /// <summary>Restarts the front end and the raw history at source index <paramref name="first"/>.</summary>
    public void Restart(long first)
    {
        FrontEnd?.Restart(first);
        Raw!.Restart(first);
    }

    /// <summary>Appends samples (sample-major, source channels) to the raw history and pushes them through the front end, in slices of <see cref="SliceSamples"/>.</summary>
    public void Push(ReadOnlySpan<float> values, int count, long first)
    {
        int c = _stream!.Info.ChannelCount;
        for (int done = 0; done < count; done += SliceSamples)
        {
            int n = Math.Min(SliceSamples, count - done);
            var slice = values.Slice(done * c, n * c);
            Raw!.Append(slice, n, first + done);
            FrontEnd!.Push(slice, n, first + done);
        }
    }

    private void Build(DecoderModel model)
    {
        Model = model;
        _generation = model.Generation;
        var info = _stream!.Info;
        Grid = new WindowGrid(model.WindowSamples, model.StrideSamples);
        try
        {
            FrontEnd = model.CreateFrontEnd(info, _subject, decoder.Alignment, _consumer!, alignmentWorker);
            Mismatch = default;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            FrontEnd = null;
            Mismatch = (e is UnsupportedSampleRateException ? FailSafeReason.UnsupportedRate : FailSafeReason.ChannelMismatch, e.Message);
            LogCannotDecode(model.Id, _stream.SourceName, e.Message);
        }

        // The front end's own mapping (the one it resamples with); a stream the model cannot
        // decode still passes window positions, placed by the pipeline's mapping it would use.
        Rate = FrontEnd?.Rate ?? model.Definition.Signal.RateFrom(info.SampleRateHz);
        int capacity = Rate.SourceSamples(Grid.Length) + (int)Math.Ceiling(failSafe.SwapSettleSeconds * info.SampleRateHz) + SliceSamples + 2;
        // Windows start on the stride grid: with the stream at the pipeline's rate, per-stride
        // minimum/maximum summaries make a window's flat/saturation check O(stride).
        int block = Rate.IsIdentity ? Grid.Stride : 0;
        if (Raw is null || Raw.Channels != info.ChannelCount || Raw.Capacity < capacity || Raw.BlockSamples != block)
        {
            Raw = new RawSignalHistory(info.ChannelCount, capacity, block);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {ModelId} cannot decode stream {Source}: {Problem}; sending none until a model that fits is loaded")]
    private partial void LogCannotDecode(string modelId, string source, string problem);
}
