using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Daemon.Options;
using EegDann.Daemon.Replay;
using EegDann.Model;
using EegDann.Pipelines.UseCases;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Benchmarks;

/// <summary>What <see cref="BenchSuite"/> measures with.</summary>
/// <param name="RepositoryRoot">The repository (recordings/, pipelines/, tests/data/replay/, bench/python/).</param>
/// <param name="Quick">Few iterations and short inputs: checks that everything runs and the result's shape, not the machine's speed.</param>
/// <param name="Python">The Python interpreter for the PyTorch reference, or null to skip it.</param>
public sealed record BenchSuiteSettings(string RepositoryRoot, bool Quick, string? Python);

/// <summary>
/// The numbers of <c>eegdann bench</c>, in one process and one run: the decode path's latency
/// (arrival → datagram sent, <see cref="DecodePathTiming"/>) with the shipped S001/S003/S004 → S002
/// model, the replay's speed through <see cref="RecordingReplay"/> at full speed (what
/// <c>eegdann replay --speed max</c> runs), the DANN training step beside PyTorch's
/// (<see cref="DannStepTiming"/>), an S001 → S002 calibrate-new-subject on the shipped recordings
/// (<see cref="CalibrateNewSubject"/>), and the machine with its load average at start and end.
/// </summary>
public static class BenchSuite
{
    /// <summary>The model the decode and replay measurements use (mi-fb-dann, sources S001/S003/S004, target S002).</summary>
    public static readonly string Model = Path.Combine("tests", "data", "replay", "s002.eegdann");

    /// <summary>The files the suite reads, relative to the repository.</summary>
    public static IReadOnlyList<string> RequiredFiles(bool quick) =>
        [Model, Path.Combine("pipelines", "mi-fb-dann.json"), Path.Combine("pipelines", "mi-logvar.json"), .. Runs(quick).SelectMany(r => new[] { Recording("S001", r), Recording("S002", r) })];

    /// <summary>Runs every measurement and returns the result object.</summary>
    /// <param name="settings">Where the repository is, quick or full, Python.</param>
    /// <param name="log">Receives a line as each measurement starts and ends.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public static async Task<JsonObject> RunAsync(BenchSuiteSettings settings, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        log ??= _ => { };
        string root = settings.RepositoryRoot;
        var loadStart = MachineSnapshot.LoadAverage();
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        string model = Path.Combine(root, Model);

        log("decode path latency (arrival → datagram sent) ...");
        var decode = await DecodePathTiming.MeasureAsync(model, Path.Combine(root, Recording("S002", "R04")), passes: settings.Quick ? 1 : 3, maxSeconds: settings.Quick ? 20 : null, cancellationToken);
        log(string.Create(CultureInfo.InvariantCulture, $"  {decode.Windows} windows: p50 {decode.PathMilliseconds.P50:F3} ms, p99 {decode.PathMilliseconds.P99:F3} ms"));

        log("replay at full speed (eegdann replay --speed max) ...");
        string[] replayed = Runs(settings.Quick).Select(r => Path.Combine(root, Recording("S002", r))).ToArray();
        var report = await RecordingReplay.RunAsync(new ReplaySettings(model, replayed, 0, new DecoderOptions()), NullLoggerFactory.Instance, cancellationToken);
        var replay = ReplaySummary.Of(report, "max").Total;
        log(string.Create(CultureInfo.InvariantCulture, $"  {replay.Windows} windows, {replay.RealtimeFactor:F0}× real time"));

        log("training step, EegDann and PyTorch ...");
        string script = Path.Combine(root, DannStepTiming.ReferenceScript);
        var step = await DannStepTiming.MeasureAsync(settings.Quick ? 1 : 3, settings.Quick ? 5 : 200, settings.Python, script, line => log("  " + line), cancellationToken);
        var dann = step.Methods.Single(m => m.Method == TrainingMethod.Dann.Name());
        var sourceOnly = step.Methods.Single(m => m.Method == TrainingMethod.SourceOnly.Name());

        log("calibrate-new-subject S001 → S002 ...");
        var calibration = await CalibrateAsync(root, settings.Quick, cancellationToken);
        log(string.Create(CultureInfo.InvariantCulture, $"  {calibration.Seconds:F1} s"));

        var machine = MachineSnapshot.Current();
        var trainStep = new JsonObject
        {
            ["method"] = dann.Method,
            ["eegdann"] = dann.SecondsPerStep * 1e3,
            ["pytorch"] = dann.PyTorchSecondsPerStep * 1e3,
            ["pytorch_over_eegdann"] = dann.Speedup,
        };
        if (step.PyTorchMissing is { } reason)
        {
            trainStep["reason"] = reason;
        }

        trainStep[sourceOnly.Method] = new JsonObject
        {
            ["eegdann"] = sourceOnly.SecondsPerStep * 1e3,
            ["pytorch"] = sourceOnly.PyTorchSecondsPerStep * 1e3,
        };
        trainStep["network"] = "2 → 32 → 32, label head 32 → 2, domain head 32 → 32 → 2; batches of 64 source + 64 target; one thread";
        trainStep["rounds"] = step.Rounds;
        trainStep["epochs"] = step.Epochs;
        trainStep["target_accuracy"] = new JsonObject { ["eegdann"] = dann.TargetAccuracy, ["pytorch"] = dann.PyTorchTargetAccuracy };

        return new JsonObject
        {
            ["eegdann"] = EegDannVersion.Current,
            ["quick"] = settings.Quick,
            ["started_utc"] = started.ToString("O", CultureInfo.InvariantCulture),
            ["decode_latency_ms"] = new JsonObject
            {
                ["p50"] = decode.PathMilliseconds.P50,
                ["p99"] = decode.PathMilliseconds.P99,
                ["max"] = decode.PathMilliseconds.Max,
                ["windows"] = decode.Windows,
                ["forward_pass_p99"] = decode.DecodeMilliseconds.P99,
                ["allocated_bytes_per_window"] = new JsonObject { ["window_stage"] = decode.Allocated.WindowStage, ["decoder"] = decode.Allocated.Decoder, ["output"] = decode.Allocated.Output },
                ["path"] = "arrival of a window's last sample → filters, window, features, forward pass, decision → UDP datagram sent (one thread, no hand-offs)",
                ["model"] = decode.ModelId,
                ["pipeline"] = decode.PipelineName,
                ["recording"] = decode.Recording,
            },
            ["replay_realtime_factor"] = replay.RealtimeFactor,
            ["replay"] = new JsonObject
            {
                ["recordings"] = new JsonArray(replayed.Select(p => (JsonNode?)Path.GetFileName(p)).ToArray()),
                ["windows"] = replay.Windows,
                ["signal_seconds"] = replay.SignalSeconds,
                ["wall_seconds"] = replay.WallSeconds,
                ["realtime_factor_cpu"] = replay.RealtimeFactorCpu,
                ["batch_agreement"] = replay.BatchAgreement,
                ["speed"] = "max",
            },
            ["train_step_ms"] = trainStep,
            ["calibrate_pair_s"] = calibration.Seconds,
            ["calibrate_pair"] = new JsonObject
            {
                ["pipeline"] = calibration.Pipeline,
                ["sources"] = new JsonArray(calibration.Sources.Select(s => (JsonNode?)s).ToArray()),
                ["targets"] = new JsonArray(calibration.Targets.Select(s => (JsonNode?)s).ToArray()),
                ["baselines"] = calibration.Baselines,
                ["method"] = calibration.Method,
            },
            ["machine"] = new JsonObject
            {
                ["cores"] = machine.Cores,
                ["cpu_model"] = machine.CpuModel,
                ["os"] = machine.OperatingSystem,
                ["dotnet"] = machine.DotNet,
                ["load_average_start"] = LoadJson(loadStart),
                ["load_average_end"] = LoadJson(MachineSnapshot.LoadAverage()),
            },
            ["wall_seconds"] = clock.Elapsed.TotalSeconds,
        };
    }

    private static async Task<(double Seconds, string Pipeline, string[] Sources, string[] Targets, bool Baselines, string Method)> CalibrateAsync(string root, bool quick, CancellationToken cancellationToken)
    {
        // Full: the README's main command (mi-fb-dann, every baseline). Quick: mi-logvar's single
        // network on one run each, to show the path runs.
        string pipeline = quick ? "mi-logvar" : "mi-fb-dann";
        string[] sources = Runs(quick).Select(r => Recording("S001", r)).ToArray();
        string[] targets = Runs(quick).Select(r => Recording("S002", r)).ToArray();
        string work = Directory.CreateTempSubdirectory("eegdann-bench-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            using var outcome = await CalibrateNewSubject.RunAsync(
                new CalibrateRequest
                {
                    PipelinePath = Path.Combine(root, "pipelines", pipeline + ".json"),
                    Sources = sources.Select(s => RecordingInput.FromPath(Path.Combine(root, s))).ToList(),
                    Targets = targets.Select(s => RecordingInput.FromPath(Path.Combine(root, s))).ToList(),
                    ModelPath = Path.Combine(work, "s002.eegdann"),
                    Baselines = !quick,
                },
                NullLogger.Instance,
                cancellationToken: cancellationToken);
            double seconds = clock.Elapsed.TotalSeconds;
            return (seconds, pipeline, sources, targets, !quick, outcome.Method.Name);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static JsonNode? LoadJson(double[]? load) => load is null ? null : new JsonArray(load.Select(x => (JsonNode?)x).ToArray());

    private static string[] Runs(bool quick) => quick ? ["R04"] : ["R04", "R08", "R12"];

    private static string Recording(string subject, string run) => Path.Combine("recordings", $"{subject}{run}.parquet");
}
