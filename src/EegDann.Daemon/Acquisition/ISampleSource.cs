using EegDann.Core;

namespace EegDann.Daemon.Acquisition;

/// <summary>How a source reacts to a full buffer downstream.</summary>
public enum SourcePacing
{
    /// <summary>
    /// Samples arrive in real time whatever the daemon does (an amplifier, a paced replay): when a
    /// buffer is full the chunk is dropped and counted, and the stages see a gap and fail safe.
    /// </summary>
    Live,

    /// <summary>The source waits for the daemon (an unpaced replay): nothing is dropped.</summary>
    Unpaced,
}

/// <summary>What a source says about the stream it is about to deliver.</summary>
/// <param name="Info">Rate and channel labels, in the order of the chunks' values. Values are µV.</param>
/// <param name="SourceName">Where it comes from, for logs and recordings (a file, a peer address, an LSL stream name).</param>
/// <param name="Subject">Who is recorded, when the source knows (else the configured subject).</param>
/// <param name="Properties">Further facts about the stream (device, LSL source id…), kept in session recordings.</param>
public sealed record StreamDescription(SignalInfo Info, string SourceName, string? Subject = null, IReadOnlyDictionary<string, string>? Properties = null);

/// <summary>One thing a source reports. Instances are immutable and shared by every stage that receives them.</summary>
public abstract record SourceEvent;

/// <summary>A stream (re)starts: a new connection or file. Chunks that follow belong to it.</summary>
/// <param name="Stream">The stream's description.</param>
public sealed record StreamStarted(StreamDescription Stream) : SourceEvent;

/// <summary>Samples arrived.</summary>
/// <param name="Chunk">
/// The samples, sample-major, µV, tagged with the stream index of the first sample. Owned by the
/// daemon from here on: a source must not reuse the array. An index that does not continue the
/// previous chunk is a gap (or an overlap).
/// </param>
/// <param name="ArrivalTimestamp">
/// <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> when the chunk was received (socket
/// read returned, pacer released it): the start of the latency the daemon reports.
/// </param>
/// <param name="SourceTimeSeconds">The source's own time stamp of the chunk's last sample (e.g. LSL), if it has one; for monitoring only.</param>
public sealed record ChunkArrived(SampleChunk Chunk, long ArrivalTimestamp, double? SourceTimeSeconds = null) : SourceEvent;

/// <summary>The stream stopped (disconnect, end of file). Another <see cref="StreamStarted"/> may follow.</summary>
/// <param name="Reason">Why, for the log.</param>
public sealed record StreamStopped(string Reason) : SourceEvent;

/// <summary>
/// An event marker beside the stream (an LSL marker stream's cue), placed at a stream index. The
/// session recorder writes it to the recording's events; the decoding stages ignore it.
/// </summary>
/// <param name="Sample">The stream index the marker falls on (may be ahead of the samples received so far).</param>
/// <param name="Label">The marker's text (e.g. <c>T1</c>).</param>
/// <param name="SourceTimeSeconds">Its time stamp on the local clock, seconds.</param>
public sealed record MarkerArrived(long Sample, string Label, double SourceTimeSeconds) : SourceEvent;

/// <summary>
/// Where samples come from: a replayed recording, a TCP bridge, a Lab Streaming Layer inlet, a
/// synthetic generator. A source produces <see cref="StreamStarted"/>, then
/// <see cref="ChunkArrived"/> events, possibly <see cref="StreamStopped"/> and a new
/// <see cref="StreamStarted"/> (reconnects); the enumeration ends only when the source is
/// finished for good (the end of a replay). It handles its own transient faults (a dropped
/// connection is a <see cref="StreamStopped"/>, not an exception); an exception ends the daemon.
/// </summary>
/// <remarks>
/// A source turns its device's framing into stream indices: a TCP frame carries its first index;
/// an LSL inlet counts samples per connection and turns time-stamp jumps into index jumps.
/// Values must be float32 µV in the order of <see cref="StreamDescription.Info"/>.
/// </remarks>
public interface ISampleSource
{
    /// <summary>A short description for logs, e.g. <c>replay recordings/S002R04.parquet ×10</c>.</summary>
    string Name { get; }

    /// <summary>Whether the source runs in real time (drop when full) or waits for the daemon.</summary>
    SourcePacing Pacing { get; }

    /// <summary>Delivers the stream's events until the source is finished or <paramref name="cancellationToken"/> fires.</summary>
    IAsyncEnumerable<SourceEvent> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Not from a source: the stale watchdog's heartbeat while no samples arrive, carried on the
/// control thread's channel so that every decision is made on the control thread.
/// </summary>
/// <param name="Timestamp">When the heartbeat was made (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</param>
internal sealed record StaleTick(long Timestamp) : SourceEvent;
