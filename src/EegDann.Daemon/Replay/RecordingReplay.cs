using System.Diagnostics;
using System.Globalization;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;
using EegDann.Dsp.Alignment;
using EegDann.Model;
using EegDann.Pipelines;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Replay;

/// <summary>What to replay and how.</summary>
/// <param name="ModelPath">The model file.</param>
/// <param name="Recordings">Parquet recordings, replayed one after the other (each its own stream).</param>
/// <param name="Speed">Multiple of real time; 0 = as fast as the path runs.</param>
/// <param name="Decoder">Decision settings (smoothing, threshold, dwell, alignment), as the daemon's.</param>
/// <param name="FailSafe">Fail-safe settings, as the daemon's.</param>
/// <param name="ChunkSamples">Samples per chunk, as an amplifier would deliver them.</param>
/// <param name="WarmupSeconds">Seconds of the first recording run through throwaway stages before any is timed (0: none).</param>
/// <param name="Compare">Whether to decide every recording the batch way too (batch agreement); false for timing runs only.</param>
public sealed record ReplaySettings(
    string ModelPath,
    IReadOnlyList<string> Recordings,
    double Speed,
    DecoderOptions? Decoder = null,
    FailSafeOptions? FailSafe = null,
    int ChunkSamples = 8,
    double WarmupSeconds = 10,
    bool Compare = true);

/// <summary>One window's decision in a replay.</summary>
/// <param name="Recording">The recording's file name.</param>
/// <param name="EndSample">Stream index (pipeline rate) one past the window's last sample.</param>
/// <param name="TimeMilliseconds">Time of the window's last sample, ms since the recording's start.</param>
/// <param name="Command">The command sent: a class name or <c>none</c>.</param>
/// <param name="Reason">The fail-safe reason, or <c>none</c>.</param>
/// <param name="Probabilities">Smoothed class probabilities in class order (empty for a fail-safe).</param>
/// <param name="BatchCommand">The batch path's command for the same window, or null when there is no batch path to compare with.</param>
/// <param name="Cue">The class cued during the whole window, or null.</param>
/// <param name="LatencyMilliseconds">From the arrival of the window's last sample to its decision, ms.</param>
public sealed record ReplayDecision(string Recording, long EndSample, double TimeMilliseconds, string Command, string Reason, float[] Probabilities, string? BatchCommand, string? Cue, double LatencyMilliseconds);

/// <summary>The replay of one recording.</summary>
/// <param name="Recording">File name.</param>
/// <param name="Subject">The recording's subject.</param>
/// <param name="Alignment">How its windows were aligned (<c>Fixed</c>, <c>FromStream</c>, …).</param>
/// <param name="SignalSeconds">Duration of the recording, s.</param>
/// <param name="WallSeconds">Wall time of acquisition → window → decode, s (reading the file's row groups included; loading the model and the batch comparison not).</param>
/// <param name="CpuSeconds">CPU time of the process over the same span, s (on a shared machine the wall time includes waiting for a core).</param>
/// <param name="Decisions">One per window position, in order.</param>
/// <param name="BatchNote">Why there is no batch comparison, or null.</param>
/// <param name="ComparisonSeconds">Wall time of reading the whole recording again and deciding it the batch way, s (not part of <paramref name="WallSeconds"/>).</param>
public sealed record RecordingReplayResult(string Recording, string Subject, string Alignment, double SignalSeconds, double WallSeconds, double CpuSeconds, IReadOnlyList<ReplayDecision> Decisions, string? BatchNote, double ComparisonSeconds = 0);

/// <summary>A replay: the model and one result per recording.</summary>
/// <param name="ModelId">The model's id.</param>
/// <param name="PipelineName">Its pipeline.</param>
/// <param name="ClassNames">Its classes (the commands besides <c>none</c>).</param>
/// <param name="Recordings">One result per recording, in order.</param>
/// <param name="PreparationSeconds">Wall time before the first recording: loading the model (libtorch included) and warming the path up, s.</param>
public sealed record ReplayReport(string ModelId, string PipelineName, IReadOnlyList<string> ClassNames, IReadOnlyList<RecordingReplayResult> Recordings, double PreparationSeconds = 0);

/// <summary>
/// Replays recordings through the daemon's own path, without network: the replay source
/// (acquisition), the <see cref="WindowStage"/> (filters, windows, fail-safe) and the
/// <see cref="DecodeStage"/> (network, decision policy), and compares every decision with the
/// batch path's (<see cref="BatchDecisions"/>). At full speed the network runs once per batch of
/// windows; paced, once per window as live.
/// </summary>
public static class RecordingReplay
{
    /// <summary>Replays every recording in turn.</summary>
    /// <exception cref="EegDann.Recordings.RecordingFormatException">When a recording cannot be read (the message names it).</exception>
    /// <exception cref="InvalidDataException">When the model is not usable (the message names the file).</exception>
    /// <exception cref="IOException">When the model file cannot be read.</exception>
    public static async Task<ReplayReport> RunAsync(ReplaySettings settings, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        loggers ??= NullLoggerFactory.Instance;
        var decoder = settings.Decoder ?? new DecoderOptions();
        var failSafe = settings.FailSafe ?? new FailSafeOptions();
        long prepared = Stopwatch.GetTimestamp();

        // As the daemon: libtorch's thread count from the decoder settings (one by default, so its
        // worker threads do not take the core the signal path runs on).
        TorchRuntime.UseThreads(decoder.TorchThreads);
        var metrics = new DaemonMetrics();
        using var models = new ActiveModel(metrics, loggers.CreateLogger<ActiveModel>());
        var model = DecoderModelLoader.Load(settings.ModelPath);
        models.Initialize(model, decoder.Alignment);
        var results = new List<RecordingReplayResult>();
        // Said before anything is timed: the first event through the logging sinks pays their first-use costs here
        // (a console sink's first event took ~40 ms, a third of a 2-minute recording's processing at full speed).
        loggers.CreateLogger(typeof(RecordingReplay)).LogInformation("Replaying {Count} recording(s) with model {Model} ({Pipeline}) at {Speed}", settings.Recordings.Count, model.Id, model.Definition.Name, settings.Speed > 0 ? string.Create(CultureInfo.InvariantCulture, $"{settings.Speed:G4}x real time") : "full speed");
        if (settings.WarmupSeconds > 0 && settings.Recordings.Count > 0)
        {
            await WarmUpAsync(model, settings.Recordings[0], settings, decoder, failSafe, cancellationToken);
        }

        double preparation = Stopwatch.GetElapsedTime(prepared).TotalSeconds;
        foreach (string path in settings.Recordings)
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.Add(await ReplayOneAsync(models, model, path, settings, decoder, failSafe, metrics, loggers, cancellationToken));
        }

        return new ReplayReport(model.Id, model.Definition.Name, model.ClassNames, results, preparation);
    }

    private static async Task<RecordingReplayResult> ReplayOneAsync(ActiveModel models, DecoderModel model, string path, ReplaySettings settings, DecoderOptions decoder, FailSafeOptions failSafe, DaemonMetrics metrics, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        // Paced, as the daemon: an alignment estimated from the stream recomputes R^-1/2 beside the path. At full
        // speed the path would only wait for it (a recomputation is in use two windows after it is due), so the
        // path computes it itself, in parts; the windows are the same bit for bit either way.
        using var alignmentWorker = settings.Speed > 0 ? new AlignmentWorker("eegdann-replay-alignment") : null;
        var stage = new WindowStage(models, failSafe, decoder, new AcquisitionOptions(), metrics, loggers.CreateLogger<WindowStage>(), alignmentWorker);
        var decode = new DecodeStage(decoder, models, metrics, [], loggers.CreateLogger<DecodeStage>());
        await using var source = await ReplaySource.OpenAsync(new ReplayOptions { Path = path, Speed = settings.Speed, ChunkSamples = settings.ChunkSamples }, cancellationToken);
        string subject = source.Description.Subject ?? string.Empty;
        string alignment = model.Aligns ? model.AlignmentFor(subject, decoder.Alignment).ToString() : "none";
        double rate = source.Description.Info.SampleRateHz;
        long sampleCount = source.SampleCount;

        var timed = new List<(Decision Decision, long EndSample, double LatencyMs)>((int)(sampleCount / Math.Max(1, model.StrideSamples)) + 16);
        using var process = Process.GetCurrentProcess();
        var cpuStarted = process.TotalProcessorTime;
        long started = Stopwatch.GetTimestamp();
        await StreamAsync(source, stage, decode, settings, long.MaxValue, Keep, cancellationToken);
        double wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuStarted).TotalSeconds;

        // The batch path, and the cues, for every window position.
        long compared = Stopwatch.GetTimestamp();
        var recording = await ParquetRecordingReader.ReadAsync(path, cancellationToken);
        string name = Path.GetFileName(path);
        string? note = null;
        IReadOnlyDictionary<long, string>? batch = null;
        if (!settings.Compare)
        {
            note = "not compared (timing run)";
        }
        else
        {
            batch = BatchDecisions.Decide(model, recording, decoder).CommandByEnd;
        }

        var cues = new CueLookup(recording, model);
        var result = timed
            .Select(t => new ReplayDecision(
                name,
                t.EndSample,
                t.Decision.TimeMilliseconds,
                t.Decision.Command,
                t.Decision.Reason.Name(),
                t.Decision.Probabilities.ToArray(),
                batch is null ? null : batch.GetValueOrDefault(t.EndSample, Decision.NoCommand),
                cues.CueOf(t.EndSample - model.WindowSamples, t.EndSample),
                t.LatencyMs))
            .ToList();
        return new RecordingReplayResult(name, subject, alignment, sampleCount / rate, wall, cpu, result, note, Stopwatch.GetElapsedTime(compared).TotalSeconds);

        void Keep(in WindowItem item, Decision decision)
        {
            if (item.Kind == WindowItemKind.Stale)
            {
                return;
            }

            timed.Add((decision, item.EndSample, Stopwatch.GetElapsedTime(item.ArrivalTimestamp).TotalMilliseconds));
        }
    }

    /// <summary>
    /// The first <see cref="ReplaySettings.WarmupSeconds"/> of <paramref name="path"/> through
    /// throwaway stages, exactly as a replay runs them, nothing kept or logged: just-in-time
    /// compilation and first-use costs of the reader, the stages and the network are paid here
    /// (part of <see cref="ReplayReport.PreparationSeconds"/>), not in the first recording's processing time.
    /// </summary>
    private static async Task WarmUpAsync(DecoderModel model, string path, ReplaySettings settings, DecoderOptions decoder, FailSafeOptions failSafe, CancellationToken cancellationToken)
    {
        var metrics = new DaemonMetrics();

        // A throwaway holder around the replay's model; never disposed, since the model is not its own.
        var models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);
        models.Initialize(model, decoder.Alignment);
        var stage = new WindowStage(models, failSafe, decoder, new AcquisitionOptions(), metrics, NullLogger<WindowStage>.Instance);
        var decode = new DecodeStage(decoder, models, metrics, [], NullLogger<DecodeStage>.Instance);
        await using var source = await ReplaySource.OpenAsync(new ReplayOptions { Path = path, Speed = 0, ChunkSamples = settings.ChunkSamples }, cancellationToken);
        long stopAt = (long)Math.Ceiling(settings.WarmupSeconds * source.Description.Info.SampleRateHz);
        await StreamAsync(source, stage, decode, settings, stopAt, static (in WindowItem _, Decision _) => { }, cancellationToken);
    }

    /// <summary>
    /// Source events through the window stage and the decoder, each window decided as it is cut, as
    /// live (the daemon's own decoder, at full speed or paced); every item with its decision to
    /// <paramref name="keep"/>, in order.
    /// </summary>
    private static async Task StreamAsync(ReplaySource source, WindowStage stage, DecodeStage decode, ReplaySettings settings, long stopAtSample, KeepDecision keep, CancellationToken cancellationToken)
    {
        var items = new List<WindowItem>(16);
        await foreach (var e in source.ReadAsync(cancellationToken))
        {
            if (e is ChunkArrived arrived && arrived.Chunk.FirstSampleIndex >= stopAtSample)
            {
                break;
            }

            items.Clear();
            stage.Handle(e, items);
            foreach (var item in items)
            {
                keep(item, decode.Decode(item));
            }
        }
    }

    private delegate void KeepDecision(in WindowItem item, Decision decision);

    /// <summary>The class cued during a whole window: the paradigm's events (e.g. T1 → left) with their durations.</summary>
    private sealed class CueLookup(Recording recording, DecoderModel model)
    {
        private readonly (long Start, long End, string Label)[] _cues = recording.Events
            .Where(e => model.Definition.Paradigm.Events.ContainsKey(e.Label))
            .Select(e => (
                (long)Math.Round(e.OnsetSeconds * model.PipelineSignal.SampleRateHz),
                (long)Math.Round((e.OnsetSeconds + e.DurationSeconds) * model.PipelineSignal.SampleRateHz),
                model.Definition.Paradigm.Events[e.Label]))
            .ToArray();

        public string? CueOf(long start, long end)
        {
            foreach (var (s, e, label) in _cues)
            {
                if (start >= s && end <= e)
                {
                    return label;
                }
            }

            return null;
        }
    }
}
