using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EegDann.Daemon.Monitoring;

/// <summary>The buffers between stages, for drop counters.</summary>
public enum DaemonBuffer
{
    /// <summary>Acquisition → filter/window.</summary>
    Acquisition,

    /// <summary>Filter/window → decoder.</summary>
    Windows,

    /// <summary>Decoder → control output.</summary>
    Decisions,

    /// <summary>Acquisition → session recorder.</summary>
    Recorder,

    /// <summary>Acquisition → online calibrator.</summary>
    Calibrator,
}

/// <summary>
/// The daemon's counters and latency histograms: written by the stages with atomic increments (no
/// locks, no allocation), read in the process (the periodic log, the console, readiness, benches).
/// With a meter factory (the host's) they are also published as System.Diagnostics.Metrics
/// instruments on the meter <see cref="MeterName"/> (<see cref="DaemonInstruments"/>), which
/// <see cref="PrometheusExport"/> serves at <c>/metrics</c>.
/// </summary>
public sealed class DaemonMetrics
{
    /// <summary>The name of the daemon's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "EegDann.Daemon";

    private readonly Histogram<double>? _latencyInstrument;

    private readonly long[] _failSafe = new long[Enum.GetValues<FailSafeReason>().Length];
    private readonly long[] _failSafeEpisodes = new long[Enum.GetValues<FailSafeReason>().Length];
    private readonly long[] _drops = new long[Enum.GetValues<DaemonBuffer>().Length];
    private long _chunks;
    private long _samples;
    private long _windows;
    private long _controlThreadAllocatedBytes;
    private long _inlineChunks;
    private long _decisions;
    private long _commands;
    private long _sendErrors;
    private long _modelSwaps;
    private long _modelRejections;
    private long _calibrations;
    private long _calibrationsRejected;
    private long _recordedSamples;
    private long _recorderLost;
    private long _recorderQueued;
    private long _recorderFailures;
    private long _tcpRefused;
    private long _recordings;
    private long _lastArrival;

    /// <summary>Creates the counters.</summary>
    /// <param name="meterFactory">The host's meter factory, to publish the instruments; null (replays, benches, tests) publishes none.</param>
    public DaemonMetrics(IMeterFactory? meterFactory = null)
    {
        if (meterFactory != null)
        {
            Meter = meterFactory.Create(MeterName);
            _latencyInstrument = DaemonInstruments.Create(Meter, this);
        }
    }

    /// <summary>The meter the instruments are published on, or null when created without a factory.</summary>
    public Meter? Meter { get; }

    /// <summary>Latency from the arrival of a window's last sample to the send of its decision.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Decode time per window (features to decision, the forward pass included), ms.</summary>
    public LatencyHistogram DecodeTime { get; } = new();

    /// <summary>From a chunk's arrival to the control thread taking it (the hand-off from the source's thread), ms.</summary>
    public LatencyHistogram HandOffDelay { get; } = new();

    /// <summary>From the arrival of a window's last sample to the start of its decoding (filters, features and any queueing), ms.</summary>
    public LatencyHistogram DecodeStartDelay { get; } = new();

    /// <summary>Received samples the recorder could not write (its buffer was full, a write failed, or the daemon stopped first).</summary>
    public long RecorderLostSamples => Volatile.Read(ref _recorderLost);

    /// <summary>TCP clients refused or disconnected for a protocol error, a bad header or because another client was streaming.</summary>
    public long TcpClientsRefused => Volatile.Read(ref _tcpRefused);

    /// <summary>Samples handed to the recorder (each is eventually recorded or counted lost).</summary>
    public long RecorderQueuedSamples => Volatile.Read(ref _recorderQueued);

    /// <summary>Recorder failures (a file could not be created, written or completed).</summary>
    public long RecorderFailures => Volatile.Read(ref _recorderFailures);

    /// <summary>When the metrics started (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long Started { get; } = Stopwatch.GetTimestamp();

    /// <summary>Chunks received from the source.</summary>
    public long Chunks => Volatile.Read(ref _chunks);

    /// <summary>Samples (per channel) received from the source.</summary>
    public long Samples => Volatile.Read(ref _samples);

    /// <summary>Windows decoded by the model.</summary>
    public long Windows => Volatile.Read(ref _windows);

    /// <summary>
    /// Managed bytes allocated so far on the control path (<see cref="GC.GetAllocatedBytesForCurrentThread"/>):
    /// everything a chunk costs from the hand-off to its datagrams — window stage, decoder, control output,
    /// the channels between them — on the control thread, its waits included, and on the acquisition thread
    /// while it runs the path for a live chunk. 0 before the control thread starts.
    /// </summary>
    public long ControlThreadAllocatedBytes => Volatile.Read(ref _controlThreadAllocatedBytes);

    /// <summary>Live chunks the acquisition thread carried through the control path itself, the path being idle (no hand-off to wake the control thread).</summary>
    public long InlineChunks => Volatile.Read(ref _inlineChunks);

    /// <summary>Decisions sent (decoded and fail-safe).</summary>
    public long Decisions => Volatile.Read(ref _decisions);

    /// <summary>Decisions whose command was a class (not <c>none</c>).</summary>
    public long Commands => Volatile.Read(ref _commands);

    /// <summary>Datagrams that could not be sent.</summary>
    public long SendErrors => Volatile.Read(ref _sendErrors);

    /// <summary>Models swapped in.</summary>
    public long ModelSwaps => Volatile.Read(ref _modelSwaps);

    /// <summary>Candidate models rejected (bad file, failed check).</summary>
    public long ModelRejections => Volatile.Read(ref _modelRejections);

    /// <summary>Calibrations accepted and swapped in.</summary>
    public long Calibrations => Volatile.Read(ref _calibrations);

    /// <summary>Calibrations that failed or were rejected.</summary>
    public long CalibrationsRejected => Volatile.Read(ref _calibrationsRejected);

    /// <summary>Samples durably written to session recordings (complete row groups and completed files).</summary>
    public long RecordedSamples => Volatile.Read(ref _recordedSamples);

    /// <summary>Session recordings completed.</summary>
    public long Recordings => Volatile.Read(ref _recordings);

    /// <summary>When the last chunk arrived (<see cref="Stopwatch.GetTimestamp"/>), 0 before the first.</summary>
    public long LastArrival => Volatile.Read(ref _lastArrival);

    /// <summary>Fail-safe decisions for a reason.</summary>
    public long FailSafe(FailSafeReason reason) => Volatile.Read(ref _failSafe[(int)reason]);

    /// <summary>Fail-safe episodes (entries into the fail-safe state) for a reason.</summary>
    public long FailSafeEpisodes(FailSafeReason reason) => Volatile.Read(ref _failSafeEpisodes[(int)reason]);

    /// <summary>Fail-safe decisions for every reason.</summary>
    public long FailSafeTotal => FailSafeReasons.All.Sum(FailSafe);

    /// <summary>Items dropped at a buffer.</summary>
    public long Dropped(DaemonBuffer buffer) => Volatile.Read(ref _drops[(int)buffer]);

    /// <summary>Items dropped at every buffer.</summary>
    public long DroppedTotal => Enum.GetValues<DaemonBuffer>().Sum(Dropped);

    internal void ChunkArrived(int samples, long arrival)
    {
        Interlocked.Increment(ref _chunks);
        Interlocked.Add(ref _samples, samples);
        Volatile.Write(ref _lastArrival, arrival);
    }

    internal void WindowDecoded(double startDelayMilliseconds, double decodeMilliseconds)
    {
        Interlocked.Increment(ref _windows);
        DecodeStartDelay.Record(startDelayMilliseconds);
        DecodeTime.Record(decodeMilliseconds);
    }

    internal void DecisionSent(bool command, double? latencyMilliseconds)
    {
        Interlocked.Increment(ref _decisions);
        if (command)
        {
            Interlocked.Increment(ref _commands);
        }

        if (latencyMilliseconds is { } latency)
        {
            Latency.Record(latency);

            // No tags: with none, recording through a listener stays free of allocation and locks.
            _latencyInstrument?.Record(latency / 1000.0);
        }
    }

    internal void SendFailed() => Interlocked.Increment(ref _sendErrors);

    internal void FailSafeDecision(FailSafeReason reason) => Interlocked.Increment(ref _failSafe[(int)reason]);

    internal void FailSafeEntered(FailSafeReason reason) => Interlocked.Increment(ref _failSafeEpisodes[(int)reason]);

    internal void Drop(DaemonBuffer buffer) => Interlocked.Increment(ref _drops[(int)buffer]);

    /// <summary>Adds to <see cref="ControlThreadAllocatedBytes"/> what a thread running the control path allocated while it did.</summary>
    internal void ControlPathAllocated(long bytes) => Interlocked.Add(ref _controlThreadAllocatedBytes, bytes);

    internal void ChunkRunInline() => Interlocked.Increment(ref _inlineChunks);

    internal void ModelSwapped() => Interlocked.Increment(ref _modelSwaps);

    internal void ModelRejected() => Interlocked.Increment(ref _modelRejections);

    internal void CalibrationAccepted() => Interlocked.Increment(ref _calibrations);

    internal void CalibrationRejected() => Interlocked.Increment(ref _calibrationsRejected);

    internal void Recorded(long samples) => Interlocked.Add(ref _recordedSamples, samples);

    internal void RecorderQueued(int samples) => Interlocked.Add(ref _recorderQueued, samples);

    internal void RecorderLost(long samples) => Interlocked.Add(ref _recorderLost, samples);

    internal void RecorderFailed() => Interlocked.Increment(ref _recorderFailures);

    internal void TcpClientRefused() => Interlocked.Increment(ref _tcpRefused);

    internal void RecordingCompleted() => Interlocked.Increment(ref _recordings);

    private long _lslAgeMicroseconds = -1;
    private long _lslDropped;

    /// <summary>An LSL source's newest sample age when it arrived (local clock minus its corrected stamp), seconds; NaN before one is known.</summary>
    public double LslSampleAgeSeconds
    {
        get
        {
            long age = Volatile.Read(ref _lslAgeMicroseconds);
            return age >= 0 ? age / 1e6 : double.NaN;
        }
    }

    /// <summary>Samples an LSL source lost (the outlet's queue overflowed, or a reconnect), seen in its time stamps.</summary>
    public long LslDroppedSamples => Volatile.Read(ref _lslDropped);

    internal void LslSourceUpdated(double? sampleAgeSeconds, long droppedSamples)
    {
        if (sampleAgeSeconds is double age)
        {
            Volatile.Write(ref _lslAgeMicroseconds, (long)(age * 1e6));
        }

        Volatile.Write(ref _lslDropped, droppedSamples);
    }
}
