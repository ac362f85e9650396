using System.Threading.Channels;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Processing;

namespace EegDann.Daemon.LiveConsole;

/// <summary>One decision as the console sees it.</summary>
/// <param name="Decision">The decision (immutable).</param>
/// <param name="Detail">More about a fail-safe reason (the window item's detail), or null.</param>
internal sealed record ConsoleDecision(Decision Decision, string? Detail);

/// <summary>
/// Where the control path hands the console its copies: the acquisition stage offers every
/// source event, the decoder every decision. Both go into bounded channels that drop their
/// oldest item when full, so offering never waits and never fails; when the console is off
/// nothing is kept.
/// </summary>
/// <remarks>
/// Source events are immutable records whose sample arrays are never written after they are
/// emitted (the recorder and calibrator read the same objects), so no copy is needed: the
/// console only holds references for a moment. The decoder's <see cref="Decision"/> is an
/// immutable value (its probabilities inline), copied into the channel.
/// </remarks>
internal sealed class ConsoleTap : IDecodeObserver
{
    private const int EventCapacity = 1024;
    private const int DecisionCapacity = 1024;
    private long _droppedEvents;
    private long _droppedDecisions;
    private SourceEvent? _streamEvent;
    private StreamStarted? _lastStart;
    private long _streamVersion;

    /// <summary>Source events for the console (lossy).</summary>
    public Channel<SourceEvent> Events { get; } = Channel.CreateBounded<SourceEvent>(
        new BoundedChannelOptions(EventCapacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.DropOldest });

    /// <summary>Decisions for the console (lossy).</summary>
    public Channel<ConsoleDecision> Decisions { get; } = Channel.CreateBounded<ConsoleDecision>(
        new BoundedChannelOptions(DecisionCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.DropOldest });

    /// <summary>Whether a console reads the tap (set once at start).</summary>
    public bool Active { get; set; }

    /// <summary>Source events the console lost because it fell behind.</summary>
    public long DroppedEvents => Interlocked.Read(ref _droppedEvents);

    /// <summary>Decisions the console lost because it fell behind.</summary>
    public long DroppedDecisions => Interlocked.Read(ref _droppedDecisions);

    /// <summary>The latest stream start or stop, kept apart from the lossy queue so it is never lost.</summary>
    public SourceEvent? StreamEvent => Volatile.Read(ref _streamEvent);

    /// <summary>
    /// The latest stream start, kept apart from <see cref="StreamEvent"/>: a stream that starts and stops
    /// between two updates of the console is still shown (stopped), not replaced by its stop.
    /// </summary>
    public StreamStarted? LastStart => Volatile.Read(ref _lastStart);

    /// <summary>Counts stream starts and stops offered (the console applies the latest when it changed).</summary>
    public long StreamVersion => Interlocked.Read(ref _streamVersion);

    /// <summary>Offers a source event (acquisition's thread); never waits.</summary>
    public void Offer(SourceEvent e)
    {
        if (Active && e is StreamStarted or StreamStopped)
        {
            if (e is StreamStarted started)
            {
                Volatile.Write(ref _lastStart, started);
            }

            Volatile.Write(ref _streamEvent, e);
            Interlocked.Increment(ref _streamVersion);
            return;
        }

        if (Active && Events.Reader.Count >= EventCapacity - 1)
        {
            Interlocked.Increment(ref _droppedEvents);
        }

        if (Active)
        {
            Events.Writer.TryWrite(e);
        }
    }

    /// <inheritdoc />
    public void OnDecoded(in WindowItem item, ReadOnlySpan<double> input, ReadOnlySpan<float> probabilities, Decision decision)
    {
        if (!Active)
        {
            return;
        }

        if (Decisions.Reader.Count >= DecisionCapacity - 1)
        {
            Interlocked.Increment(ref _droppedDecisions);
        }

        Decisions.Writer.TryWrite(new ConsoleDecision(decision, item.Detail));
    }
}
