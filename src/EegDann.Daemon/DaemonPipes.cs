using System.Threading.Channels;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon;

/// <summary>
/// The bounded channels joining the stages: acquisition → filter/window → decoder → control
/// output, and acquisition → recorder / calibrator.
/// </summary>
/// <remarks>
/// The control thread blocks on the acquisition channel (one hand-off from the source's I/O
/// thread); synchronous continuations let the writer wake it directly rather than through a
/// thread-pool work item, which on a busy machine could wait for a worker. The decoder's and the output's channels let a waiting reader run on the writer's
/// thread (synchronous continuations): when the stages keep up, a window travels from the filters
/// to the datagram on the control thread without further hand-offs; when a stage is busy, items
/// queue up to the channel's capacity. The recorder's and the calibrator's channels hand off, so
/// their disk and training work never runs on the control thread.
/// </remarks>
internal sealed class DaemonPipes
{
    public DaemonPipes(IOptions<BufferOptions> buffers, IOptions<RecorderOptions> recorder, IOptions<CalibratorOptions> calibrator)
    {
        var b = buffers.Value;
        Acquired = Channel.CreateBounded<SourceEvent>(new BoundedChannelOptions(b.AcquisitionChunks) { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = true });
        Windows = Channel.CreateBounded<WindowItem>(new BoundedChannelOptions(b.Windows) { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
        Decisions = Channel.CreateBounded<Decision>(new BoundedChannelOptions(b.Decisions) { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
        if (!string.IsNullOrWhiteSpace(recorder.Value.Directory))
        {
            Recorder = Channel.CreateBounded<SourceEvent>(new BoundedChannelOptions(b.RecorderChunks) { SingleReader = true, SingleWriter = true });
            RecorderBudget = new QueueBudget((long)b.RecorderMegabytes << 20);
        }

        if (calibrator.Value.Enabled)
        {
            Calibrator = Channel.CreateBounded<SourceEvent>(new BoundedChannelOptions(b.CalibratorChunks) { SingleReader = true, SingleWriter = true });
            CalibratorBudget = new QueueBudget((long)b.CalibratorMegabytes << 20);
        }
    }

    /// <summary>Acquisition (and the stale watchdog's heartbeats) → filter/window.</summary>
    public Channel<SourceEvent> Acquired { get; }

    /// <summary>Filter/window → decoder.</summary>
    public Channel<WindowItem> Windows { get; }

    /// <summary>Decoder → control output.</summary>
    public Channel<Decision> Decisions { get; }

    /// <summary>Acquisition → session recorder, or null when not recording.</summary>
    public Channel<SourceEvent>? Recorder { get; }

    /// <summary>Acquisition → online calibrator, or null when it is off.</summary>
    public Channel<SourceEvent>? Calibrator { get; }

    /// <summary>Bytes of samples in <see cref="Recorder"/> (acquisition takes, the recorder releases), or null when not recording.</summary>
    public QueueBudget? RecorderBudget { get; }

    /// <summary>Bytes of samples in <see cref="Calibrator"/>, or null when it is off.</summary>
    public QueueBudget? CalibratorBudget { get; }

    /// <summary>Bytes of the samples of <paramref name="e"/> (0 for anything but a chunk).</summary>
    public static long BytesOf(SourceEvent e) => e is ChunkArrived c ? (long)c.Chunk.SampleCount * c.Chunk.ChannelCount * sizeof(float) : 0;
}

/// <summary>What the running source is and how it ended; shared by the services.</summary>
internal sealed class SourceRuntime
{
    private long _lastEnd;
    private int _streams;
    private int _realtime;

    /// <summary>The source (set when the acquisition service starts).</summary>
    public ISampleSource? Source { get; set; }

    /// <summary>How the source reacts to full buffers.</summary>
    public SourcePacing Pacing => Source?.Pacing ?? SourcePacing.Live;

    /// <summary>Completes when the session recorder has written (or reported lost) everything it was handed, or at once when not recording.</summary>
    public TaskCompletionSource RecorderDrained { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The daemon should stop once every decision has been sent (a replay with StopAtEnd that finished).</summary>
    public bool StopWhenDrained { get; set; }

    /// <summary>
    /// Whether the control thread runs with a real-time policy (set by it once applied). Then the
    /// calibrator's training thread need not make room for it by a high nice value, and must not:
    /// see <see cref="Calibration.CalibratorService"/>.
    /// </summary>
    public bool RealtimeControlPath
    {
        get => Volatile.Read(ref _realtime) != 0;
        set => Volatile.Write(ref _realtime, value ? 1 : 0);
    }

    /// <summary>Whether a stream has started.</summary>
    public bool StreamSeen => Volatile.Read(ref _streams) > 0;

    /// <summary>Stream index one past the last sample received.</summary>
    public long LastEnd => Volatile.Read(ref _lastEnd);

    internal void StreamStarted() => Interlocked.Increment(ref _streams);

    internal void Received(long end) => Volatile.Write(ref _lastEnd, end);
}
