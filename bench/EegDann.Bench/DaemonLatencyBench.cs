using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using EegDann.Daemon;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Output;
using EegDann.Pipelines.UseCases;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Bench;

/// <summary>
/// The whole daemon (the Generic Host with every stage, as <c>eegdann daemon</c> runs it) replaying
/// S002R04 at 10× real time with an S001→S002 model, session recording on, listening to its UDP
/// datagrams like a controller: datagrams vs windows expected, sequence gaps, <c>latency_ms</c>
/// p50/p99 (arrival of a window's last sample → datagram sent), windows/s, the stop time (the
/// path SIGTERM takes) and the samples recorded — once per control-thread scheduling asked for.
/// The bar: p99 ≤ 5 ms. No reference implementation exists, so there is no ratio.
/// </summary>
public sealed class DaemonLatencyBench : IBench
{
    public string Name => "daemon-latency";

    public string Description => "the whole daemon replaying S002R04 at 10×: datagrams, seq gaps, latency_ms p50/p99, windows/s, stop time, samples recorded; args: [--model M] [--speed X] [--scheduling Normal,Fifo]";

    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        string? model = BenchArgs.Value(args, "--model");
        double speed = double.Parse(BenchArgs.Value(args, "--speed") ?? "10", CultureInfo.InvariantCulture);
        var schedulings = (BenchArgs.Value(args, "--scheduling") ?? "Normal,Fifo").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string recordingPath = Path.Combine(context.RepositoryRoot, "recordings", "S002R04.parquet");
        string work = Directory.CreateTempSubdirectory("eegdann-daemon-bench-").FullName;
        try
        {
            if (model is null)
            {
                model = Path.Combine(work, "s1s2.eegdann");
                string[] runs = ["R04", "R08", "R12"];
                Console.WriteLine("calibrating S001 → S002 (mi-logvar, no baselines) for the model ...");
                using var _ = await CalibrateNewSubject.RunAsync(
                    new CalibrateRequest
                    {
                        PipelinePath = Path.Combine(context.RepositoryRoot, "pipelines", "mi-logvar.json"),
                        Sources = runs.Select(r => RecordingInput.FromPath(Path.Combine(context.RepositoryRoot, "recordings", $"S001{r}.parquet"))).ToList(),
                        Targets = runs.Select(r => RecordingInput.FromPath(Path.Combine(context.RepositoryRoot, "recordings", $"S002{r}.parquet"))).ToList(),
                        ModelPath = model,
                        Baselines = false,
                    },
                    NullLogger.Instance);
            }

            var recording = await ParquetRecordingReader.ReadAsync(recordingPath);
            const int Window = 320, Stride = 10;
            long expected = ((recording.SampleCount - Window) / Stride) + 1;
            var results = new List<object>();
            foreach (var scheduling in schedulings)
            {
                var r = await RunOnceAsync(model, recordingPath, speed, scheduling, Path.Combine(work, "rec-" + scheduling));
                Console.WriteLine(
                    $"{scheduling,-7} {r.Heard.Datagrams} datagrams ({r.Windows} windows decoded, {expected} expected, seq gaps {r.Heard.SeqGaps}); " +
                    $"latency_ms p50 {r.Heard.LatencyP50Ms:F3} p99 {r.Heard.LatencyP99Ms:F3} max {r.Heard.LatencyMaxMs:F3}; " +
                    $"{r.Windows / r.StreamSeconds:F1} windows/s; stop {r.StopSeconds:F2} s; recorded {r.Recorded} of {recording.SampleCount} samples; load average {r.LoadBefore} → {r.LoadAfter}");
                results.Add(new
                {
                    scheduling,
                    speed,
                    datagrams = r.Heard.Datagrams,
                    windows_decoded = r.Windows,
                    windows_expected = expected,
                    seq_gaps = r.Heard.SeqGaps,
                    latency_ms = new { p50 = r.Heard.LatencyP50Ms, p99 = r.Heard.LatencyP99Ms, max = r.Heard.LatencyMaxMs },
                    windows_per_second = r.Windows / r.StreamSeconds,
                    stop_seconds = r.StopSeconds,
                    recorded_samples = r.Recorded,
                    recording_samples = recording.SampleCount,
                    load_average_before = r.LoadBefore,
                    load_average_after = r.LoadAfter,
                });
            }

            string file = Path.Combine(context.ResultsDirectory, "daemon-latency.json");
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(results, BenchJson.Indented));
            Console.WriteLine($"wrote {file}");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>One run of the whole host; with <paramref name="consoles"/> &gt; 0 the console is served and that many event streams are read throughout, as browsers would.</summary>
    /// <param name="extraSettings">More settings layered over the run's own (e.g. the calibrator's).</param>
    /// <param name="during">Runs beside the replay with the host's services until the replay has been streamed (e.g. asking for calibrations); returns a count for the result.</param>
    internal static async Task<Run> RunOnceAsync(string model, string recording, double speed, string scheduling, string recordDirectory, int consoles = 0, IReadOnlyDictionary<string, string?>? extraSettings = null, Func<IServiceProvider, CancellationToken, Task<int>>? during = null)
    {
        using var listener = new DecisionListener(new IPEndPoint(IPAddress.Loopback, 0));
        using var stopListening = new CancellationTokenSource();
        var listening = listener.ListenAsync(null, 0, null, stopListening.Token);
        var settings = new Dictionary<string, string?>
        {
            ["Daemon:Acquisition:Source"] = "Replay",
            ["Daemon:Replay:Path"] = recording,
            ["Daemon:Replay:Speed"] = speed.ToString(CultureInfo.InvariantCulture),
            ["Daemon:Decoder:ModelPath"] = model,
            ["Daemon:Output:Udp"] = listener.LocalEndpoint.ToString(),
            ["Daemon:Recorder:Directory"] = recordDirectory,
            ["Daemon:Realtime:Scheduling"] = scheduling,
            ["Daemon:Metrics:LogIntervalSeconds"] = "3600",
        };
        if (consoles > 0)
        {
            settings["Daemon:Metrics:Prometheus"] = "127.0.0.1:0";
        }

        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        string loadBefore = DecodeLatencyBench.LoadAverage();
        using var host = DaemonHost.Build(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        var running = DaemonHost.RunAsync(host);
        var metrics = host.Services.GetRequiredService<DaemonMetrics>();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var source = new TaskCompletionSource();
        using var _ = lifetime.ApplicationStarted.Register(source.SetResult);
        await source.Task;
        using var stopConsoles = new CancellationTokenSource();
        var readers = Enumerable.Range(0, consoles)
            .Select(_ => ConsoleLoadBench.ReadEventsAsync(host.Services.GetRequiredService<MetricsHttpService>().Endpoint!, stopConsoles.Token))
            .ToArray();
        using var stopDuring = new CancellationTokenSource();
        var beside = during is null ? Task.FromResult(0) : Task.Run(() => during(host.Services, stopDuring.Token));
        var gc = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2), Pause: GC.GetTotalPauseDuration());
        var clock = Stopwatch.StartNew();

        // The replay ends when the acquisition has passed the last sample and the stream is stale.
        long total = (await ParquetRecordingReader.ReadAsync(recording)).SampleCount;
        while (metrics.Samples < total && !running.IsCompleted)
        {
            await Task.Delay(50);
        }

        double streamSeconds = clock.Elapsed.TotalSeconds;
        var collections = new GcDuring(GC.CollectionCount(0) - gc.Gen0, GC.CollectionCount(1) - gc.Gen1, GC.CollectionCount(2) - gc.Gen2, (GC.GetTotalPauseDuration() - gc.Pause).TotalMilliseconds);
        await stopDuring.CancelAsync();
        int besideCount = await beside;
        await Task.Delay(500);
        await stopConsoles.CancelAsync();
        long[] frames = await Task.WhenAll(readers);
        var stop = Stopwatch.StartNew();
        lifetime.StopApplication();
        var exit = await running;
        double stopSeconds = stop.Elapsed.TotalSeconds;
        if (exit != DaemonExitCode.Success)
        {
            throw new InvalidOperationException($"the daemon ended with {exit}");
        }

        await Task.Delay(300);
        await stopListening.CancelAsync();
        var heard = await listening;
        long recorded = metrics.RecordedSamples;
        host.Services.GetRequiredService<EegDann.Daemon.Models.ActiveModel>().Dispose();
        double decodeP99 = metrics.DecodeTime.Quantile(0.99);
        return new Run(heard, metrics.Windows, streamSeconds, stopSeconds, recorded, loadBefore, DecodeLatencyBench.LoadAverage(), decodeP99, frames, collections, besideCount, metrics.HandOffDelay.Quantile(0.99));
    }

    internal sealed record Run(ListenSummary Heard, long Windows, double StreamSeconds, double StopSeconds, long Recorded, string LoadBefore, string LoadAfter, double DecodeP99Ms, long[] ConsoleFrames, GcDuring Collections, int BesideCount, double HandOffP99Ms);

    /// <summary>Garbage collections in this process while the replay streamed, and their total pause.</summary>
    internal sealed record GcDuring(int Gen0, int Gen1, int Gen2, double PauseMs);
}
