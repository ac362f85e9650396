using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using EegDann.Daemon;
using EegDann.Daemon.Benchmarks;
using EegDann.Daemon.Monitoring;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EegDann.Bench;

/// <summary>
/// Soak: the whole daemon (the Generic Host as <c>eegdann daemon</c> runs it) replaying a shipped
/// recording in a loop with continuing sample indices, as fast as it takes it, for a day of signal
/// (24 h by default), with the session recorder and the metrics endpoint on (scraped once per
/// interval) and the datagrams received and discarded by a listener in the same process. Every
/// interval of signal it samples the process: resident memory, threads, open file descriptors, the
/// managed heap, collections, and the latency and forward-pass quantiles of that interval. It
/// reports the growth of each after a warm-up (target: resident memory &lt; 5 %) and the drift of
/// the latency p99. Not part of any test run: it takes tens of minutes.
/// </summary>
public sealed class SoakBench : IBench
{
    public string Name => "soak";

    public string Description => "24 h of EEG (S002R04 looped, continuing indices) through the whole daemon at max speed, recording and metrics on: RSS, threads, fds, GC heap, p99 per interval; args: [--hours 24] [--interval-hours 0.5] [--warmup-hours 2] [--model M]";

    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        double hours = double.Parse(BenchArgs.Value(args, "--hours") ?? "24", CultureInfo.InvariantCulture);
        double intervalHours = double.Parse(BenchArgs.Value(args, "--interval-hours") ?? "0.5", CultureInfo.InvariantCulture);
        double warmupHours = double.Parse(BenchArgs.Value(args, "--warmup-hours") ?? "2", CultureInfo.InvariantCulture);
        string? model = BenchArgs.Value(args, "--model");
        string root = context.RepositoryRoot;
        string recording = Path.Combine(root, "recordings", "S002R04.parquet");
        string work = Directory.CreateTempSubdirectory("eegdann-soak-").FullName;
        try
        {
            model ??= await DaemonLoadBench.CalibrateAsync(root, Path.Combine(work, "s1s2.eegdann"));
            var info = (await ParquetRecordingReader.ReadAsync(recording)).Info;
            long total = (long)(hours * 3600 * info.SampleRateHz);
            long interval = (long)(intervalHours * 3600 * info.SampleRateHz);
            using var drain = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            using var stopDrain = new CancellationTokenSource();
            var datagrams = DrainAsync(drain, stopDrain.Token);
            var settings = new Dictionary<string, string?>
            {
                ["Daemon:Acquisition:Source"] = "Replay",
                ["Daemon:Replay:Path"] = recording,
                ["Daemon:Replay:Speed"] = "0",
                ["Daemon:Replay:Loop"] = "true",
                ["Daemon:Decoder:ModelPath"] = model,
                ["Daemon:Decoder:WatchModel"] = "false",
                ["Daemon:Output:Udp"] = drain.Client.LocalEndPoint!.ToString(),
                ["Daemon:Recorder:Directory"] = Path.Combine(work, "rec"),
                ["Daemon:Metrics:Prometheus"] = "127.0.0.1:0",
                ["Daemon:Metrics:LogIntervalSeconds"] = "60",
                // An unpaced replay runs with normal time sharing whatever is asked (ControlPathScheduling); said here too.
                ["Daemon:Realtime:Scheduling"] = "Normal",
            };
            string loadBefore = MachineSnapshot.LoadAverageText();
            using var host = DaemonHost.Build(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), logging => logging.SetMinimumLevel(LogLevel.Warning));
            var running = DaemonHost.RunAsync(host);
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            var started = new TaskCompletionSource();
            using var _ = lifetime.ApplicationStarted.Register(started.SetResult);
            await started.Task;
            var endpoint = host.Services.GetRequiredService<MetricsHttpService>().Endpoint!;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            Console.WriteLine($"soak: {hours} h of {Path.GetFileName(recording)} looped at max speed, sampled every {intervalHours} h of signal; load average {loadBefore}");

            var samples = new List<Sample>();
            var clock = Stopwatch.StartNew();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            LatencySnapshot latency = metrics.Latency.Snapshot(), decode = metrics.DecodeTime.Snapshot();
            long next = interval;
            while (!running.IsCompleted)
            {
                await Task.Delay(250);
                long samplesIn = metrics.Samples;
                if (samplesIn < next && samplesIn < total)
                {
                    continue;
                }

                string scraped = await http.GetStringAsync(new Uri($"http://{endpoint}/metrics"));
                LatencySnapshot l = metrics.Latency.Snapshot(), d = metrics.DecodeTime.Snapshot();
                var s = Sample.Take(samplesIn / info.SampleRateHz / 3600, clock.Elapsed.TotalSeconds, metrics, l.Since(latency), d.Since(decode), scraped.Length);
                (latency, decode) = (l, d);
                samples.Add(s);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{s.SignalHours,6:F2} h signal, {s.WallSeconds,6:F0} s wall: RSS {s.RssMb:F1} MB, threads {s.Threads}, fds {s.OpenFiles}, GC heap {s.GcHeapMb:F1} MB (gen0/1/2 {s.Gen0}/{s.Gen1}/{s.Gen2}), latency p50 {s.LatencyP50Ms:F2} p99 {s.LatencyP99Ms:F2} ms, forward p99 {s.ForwardP99Ms:F3} ms, drops {s.Dropped}, recorder lost {s.RecorderLost}"));
                next += interval;
                if (samplesIn >= total)
                {
                    break;
                }
            }

            double wall = clock.Elapsed.TotalSeconds;
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            var stop = Stopwatch.StartNew();
            lifetime.StopApplication();
            var exit = await running;
            double stopSeconds = stop.Elapsed.TotalSeconds;
            await Task.Delay(300);
            await stopDrain.CancelAsync();
            long heard = await datagrams;
            long recordedBytes = Directory.Exists(Path.Combine(work, "rec")) ? Directory.EnumerateFiles(Path.Combine(work, "rec")).Sum(f => new FileInfo(f).Length) : 0;
            int recordedFiles = Directory.Exists(Path.Combine(work, "rec")) ? Directory.EnumerateFiles(Path.Combine(work, "rec"), "*.parquet").Count(f => !f.EndsWith(".events.parquet", StringComparison.Ordinal)) : 0;
            var after = samples.Where(s => s.SignalHours >= warmupHours - 1e-9).ToList();
            if (after.Count < 2)
            {
                Console.Error.WriteLine("soak: fewer than two samples after the warm-up; run longer or sample more often");
                return 1;
            }

            var first = after[0];
            var last = after[^1];
            var summary = new
            {
                signal_hours = samples[^1].SignalHours,
                wall_seconds = wall,
                realtime_factor = samples[^1].SignalHours * 3600 / wall,
                cpu_seconds = cpu,
                exit = exit.ToString(),
                stop_seconds = stopSeconds,
                warmup_hours = warmupHours,
                rss_mb = new { at_warmup = first.RssMb, end = last.RssMb, max_after_warmup = after.Max(s => s.RssMb), growth_percent = 100 * (last.RssMb - first.RssMb) / first.RssMb, max_growth_percent = 100 * (after.Max(s => s.RssMb) - first.RssMb) / first.RssMb },
                threads = new { at_warmup = first.Threads, end = last.Threads, max_after_warmup = after.Max(s => s.Threads) },
                open_files = new { at_warmup = first.OpenFiles, end = last.OpenFiles, max_after_warmup = after.Max(s => s.OpenFiles) },
                gc_heap_mb = new { at_warmup = first.GcHeapMb, end = last.GcHeapMb, max_after_warmup = after.Max(s => s.GcHeapMb) },
                latency_p99_ms = new { first_interval_after_warmup = first.LatencyP99Ms, last_interval = last.LatencyP99Ms, min = after.Min(s => s.LatencyP99Ms), max = after.Max(s => s.LatencyP99Ms), drift_ms = last.LatencyP99Ms - first.LatencyP99Ms },
                forward_pass_p99_ms = new { first_interval_after_warmup = first.ForwardP99Ms, last_interval = last.ForwardP99Ms, max = after.Max(s => s.ForwardP99Ms) },
                windows = metrics.Windows,
                datagrams_heard = heard,
                samples_streamed = metrics.Samples,
                recorded_samples = metrics.RecordedSamples,
                recorder_lost_samples = metrics.RecorderLostSamples,
                recorded_bytes = recordedBytes,
                recorded_files = recordedFiles,
                dropped = metrics.DroppedTotal,
                load_average_before = loadBefore,
                load_average_after = MachineSnapshot.LoadAverageText(),
            };
            Console.WriteLine(JsonSerializer.Serialize(summary, BenchJson.Indented));
            var machine = MachineSnapshot.Current();
            string file = Path.Combine(context.ResultsDirectory, "soak.json");
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
            {
                command = "dotnet run -c Release --project bench/EegDann.Bench -- soak " + string.Join(' ', args),
                recording = Path.GetFileName(recording),
                note = "latency at max speed includes the time a chunk waits in the acquisition buffer (256 chunks), since the replay runs ahead of the decoder; the forward pass is the decoder alone",
                machine = new { cores = machine.Cores, cpu_model = machine.CpuModel, os = machine.OperatingSystem, dotnet = machine.DotNet },
                gc = new
                {
                    server = System.Runtime.GCSettings.IsServerGC,
                    concurrent = AppContext.GetData("System.GC.Concurrent"),
                    latency_mode = System.Runtime.GCSettings.LatencyMode.ToString(),
                    conserve_memory = AppContext.GetData("System.GC.ConserveMemory"),
                    retain_vm = AppContext.GetData("System.GC.RetainVM"),
                },
                // glibc reads MALLOC_ARENA_MAX once at start-up, so only the environment can set it; recorded so runs with and without it can be told apart.
                native = new { malloc_arena_max = Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") },
                summary,
                samples,
            }, BenchJson.Indented));
            Console.WriteLine($"wrote {file}");
            return exit == DaemonExitCode.Success ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<long> DrainAsync(UdpClient client, CancellationToken stop)
    {
        long count = 0;
        try
        {
            while (true)
            {
                await client.ReceiveAsync(stop);
                count++;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }

        return count;
    }

    /// <summary>One sample of the process.</summary>
    internal sealed record Sample(double SignalHours, double WallSeconds, double RssMb, int Threads, int OpenFiles, double GcHeapMb, int Gen0, int Gen1, int Gen2, double GcPauseMs, double LatencyP50Ms, double LatencyP99Ms, double ForwardP99Ms, long Windows, long Dropped, long RecorderLost, int MetricsBytes)
    {
        public static Sample Take(double signalHours, double wallSeconds, DaemonMetrics metrics, LatencySnapshot latency, LatencySnapshot forward, int metricsBytes)
        {
            var status = File.ReadAllLines("/proc/self/status");
            double rssKb = double.Parse(Field(status, "VmRSS:").Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
            int threads = int.Parse(Field(status, "Threads:"), CultureInfo.InvariantCulture);
            int fds = Directory.GetFileSystemEntries("/proc/self/fd").Length;
            return new Sample(
                signalHours,
                wallSeconds,
                rssKb / 1024,
                threads,
                fds,
                GC.GetGCMemoryInfo().HeapSizeBytes / 1e6,
                GC.CollectionCount(0),
                GC.CollectionCount(1),
                GC.CollectionCount(2),
                GC.GetTotalPauseDuration().TotalMilliseconds,
                latency.Quantile(0.5),
                latency.Quantile(0.99),
                forward.Quantile(0.99),
                metrics.Windows,
                metrics.DroppedTotal,
                metrics.RecorderLostSamples,
                metricsBytes);
        }

        private static string Field(string[] lines, string name) => lines.First(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim();
    }
}
