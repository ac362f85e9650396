using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EegDann.Daemon.Benchmarks;
using EegDann.Daemon.Calibration;
using EegDann.Pipelines.UseCases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Bench;

/// <summary>
/// Latency under load, in one command: the whole daemon (as <c>daemon-latency</c>: replaying
/// S002R04 at 10× with recording on, listening to its datagrams) once on a quiet machine and once
/// while its own online calibrator trains again and again in the same process and CPU hogs
/// (<c>yes &gt; /dev/null</c>, one per core by default) run beside it; per run the datagrams'
/// <c>latency_ms</c> p50/p99/max, the control thread's hand-off delay, the collections of this
/// process and the load average. Targets: p99 ≤ 0.5 ms quiet, ≤ 2 ms under load. The machine may
/// be shared, so the load average before and after each run is part of the result.
/// </summary>
public sealed class DaemonLoadBench : IBench
{
    public string Name => "daemon-load";

    public string Description => "the whole daemon replaying S002R04 at 10x, quiet and under load (its calibrator training + CPU hogs): latency_ms p50/p99/max, load average; args: [--model M] [--scheduling Fifo] [--hogs N] [--repeats N] [--speed X] [--calibrator-command EEGDANN|in-process]";

    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        string? model = BenchArgs.Value(args, "--model");
        string scheduling = BenchArgs.Value(args, "--scheduling") ?? "Fifo";
        int hogs = int.Parse(BenchArgs.Value(args, "--hogs") ?? Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int repeats = int.Parse(BenchArgs.Value(args, "--repeats") ?? "1", CultureInfo.InvariantCulture);
        double speed = double.Parse(BenchArgs.Value(args, "--speed") ?? "10", CultureInfo.InvariantCulture);
        string root = context.RepositoryRoot;
        // As the shipped daemon (eegdann): the calibrator trains in a child process of the eegdann executable;
        // "in-process" trains inside this process as a daemon embedded in another host does.
        string built = Path.Combine(root, "src", "EegDann.Cli", "bin", "Release", "net10.0", "eegdann");
        string calibratorCommand = BenchArgs.Value(args, "--calibrator-command") ?? (File.Exists(built) ? built : "in-process");
        string recording = Path.Combine(root, "recordings", "S002R04.parquet");
        string work = Directory.CreateTempSubdirectory("eegdann-daemon-load-").FullName;
        try
        {
            model ??= await CalibrateAsync(root, Path.Combine(work, "s1s2.eegdann"));
            var calibrator = new Dictionary<string, string?>
            {
                ["Daemon:Calibrator:Enabled"] = "true",
                ["Daemon:Calibrator:CollectMinutes"] = "0",
                ["Daemon:Calibrator:Command"] = calibratorCommand,
                ["Daemon:Calibrator:OutputDirectory"] = Path.Combine(work, "calibrated"),
                ["Daemon:Calibrator:SourceRecordings:0"] = Path.Combine(root, "recordings", "S001R04.parquet"),
                ["Daemon:Calibrator:SourceRecordings:1"] = Path.Combine(root, "recordings", "S001R08.parquet"),
            };
            var results = new List<object>();
            for (int i = 0; i < repeats; i++)
            {
                foreach (bool loaded in new[] { false, true })
                {
                    var hogProcesses = loaded ? StartHogs(hogs) : [];
                    DaemonLatencyBench.Run r;
                    try
                    {
                        r = await DaemonLatencyBench.RunOnceAsync(model, recording, speed, scheduling, Path.Combine(work, $"rec-{i}-{loaded}"), 0, loaded ? calibrator : null, loaded ? KeepCalibratingAsync : null);
                    }
                    finally
                    {
                        foreach (var hog in hogProcesses)
                        {
                            hog.Kill();
                            await hog.WaitForExitAsync();
                            hog.Dispose();
                        }
                    }

                    string condition = loaded ? $"load: calibrator training + {hogs} CPU hogs" : "quiet";
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{condition}: {r.Heard.Datagrams} datagrams, seq gaps {r.Heard.SeqGaps}; latency_ms p50 {r.Heard.LatencyP50Ms:F3} p99 {r.Heard.LatencyP99Ms:F3} max {r.Heard.LatencyMaxMs:F3}; " +
                        $"hand-off p99 {r.HandOffP99Ms:F3} ms; forward pass p99 {r.DecodeP99Ms:F3} ms; calibrations {r.BesideCount}; GC {r.Collections.Gen0}/{r.Collections.Gen1}/{r.Collections.Gen2} pause {r.Collections.PauseMs:F1} ms; load average {r.LoadBefore} → {r.LoadAfter}"));
                    results.Add(new
                    {
                        run = i + 1,
                        condition = loaded ? "load" : "quiet",
                        cpu_hogs = loaded ? hogs : 0,
                        calibrator_training = loaded,
                        calibrations_finished = r.BesideCount,
                        scheduling,
                        speed,
                        datagrams = r.Heard.Datagrams,
                        windows_decoded = r.Windows,
                        seq_gaps = r.Heard.SeqGaps,
                        latency_ms = new { p50 = r.Heard.LatencyP50Ms, p99 = r.Heard.LatencyP99Ms, max = r.Heard.LatencyMaxMs },
                        hand_off_p99_ms = r.HandOffP99Ms,
                        forward_pass_p99_ms = r.DecodeP99Ms,
                        gc = new { gen0 = r.Collections.Gen0, gen1 = r.Collections.Gen1, gen2 = r.Collections.Gen2, pause_ms = r.Collections.PauseMs },
                        recorded_samples = r.Recorded,
                        load_average_before = r.LoadBefore,
                        load_average_after = r.LoadAfter,
                    });
                }
            }

            var machine = MachineSnapshot.Current();
            string file = Path.Combine(context.ResultsDirectory, "daemon-load.json");
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
            {
                command = "dotnet run -c Release --project bench/EegDann.Bench -- daemon-load " + string.Join(' ', args),
                calibrator = calibratorCommand == "in-process" ? "in the daemon's process" : "child process " + Path.GetRelativePath(root, calibratorCommand),
                targets_ms = new { quiet_p99 = 0.5, load_p99 = 2.0 },
                machine = new { cores = machine.Cores, cpu_model = machine.CpuModel, os = machine.OperatingSystem, dotnet = machine.DotNet },
                runs = results,
            }, BenchJson.Indented));
            Console.WriteLine($"wrote {file}");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The daemon-latency model: S001 → S002, mi-logvar, no baselines.</summary>
    internal static async Task<string> CalibrateAsync(string root, string model)
    {
        string[] runs = ["R04", "R08", "R12"];
        Console.WriteLine("calibrating S001 → S002 (mi-logvar, no baselines) for the model ...");
        using var _ = await CalibrateNewSubject.RunAsync(
            new CalibrateRequest
            {
                PipelinePath = Path.Combine(root, "pipelines", "mi-logvar.json"),
                Sources = runs.Select(r => RecordingInput.FromPath(Path.Combine(root, "recordings", $"S001{r}.parquet"))).ToList(),
                Targets = runs.Select(r => RecordingInput.FromPath(Path.Combine(root, "recordings", $"S002{r}.parquet"))).ToList(),
                ModelPath = model,
                Baselines = false,
            },
            NullLogger.Instance);
        return model;
    }

    /// <summary>Asks the daemon's calibrator for a calibration whenever it is idle, until stopped; returns the calibrations finished.</summary>
    private static async Task<int> KeepCalibratingAsync(IServiceProvider services, CancellationToken stop)
    {
        var calibrator = services.GetRequiredService<CalibratorService>();
        try
        {
            // The first seconds of signal are collected before anything can be trained on.
            await Task.Delay(TimeSpan.FromSeconds(1), stop);
            while (!stop.IsCancellationRequested)
            {
                calibrator.Request("daemon-load bench");

                await Task.Delay(100, stop);
            }
        }
        catch (OperationCanceledException)
        {
            // The replay is over.
        }

        return calibrator.Runs;
    }

    private static List<Process> StartHogs(int count) =>
        Enumerable.Range(0, count).Select(_ => Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "exec yes > /dev/null" }, UseShellExecute = false })!).ToList();
}
