using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Output;
using EegDann.Daemon.Processing;
using EegDann.Daemon.Replay;
using EegDann.Model;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Bench;

/// <summary>
/// <c>eegdann replay --speed max</c> on every shipped recording, in-process: the realtime factor
/// (seconds of signal per second of processing: reading the row groups, filters, windows,
/// features, forward passes, decisions; loading the model and the batch comparison not included)
/// and the batch agreement of each recording, the best of several passes after a warm-up pass; then
/// the live path's per-window latency (chunks of one stride, each window decoded as it completes,
/// arrival → decision, as the daemon's latency_ms without the send) over the same recordings.
/// </summary>
public sealed class ReplaySpeedBench : IBench
{
    public string Name => "replay-speed";

    public string Description => "replay --speed max realtime factor and batch agreement per shipped recording, live per-window latency p50/p99; args: [--model M] [--passes N] [RECORDING...]";

    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        string modelPath = Path.Combine(context.RepositoryRoot, "tests", "data", "replay", "s002.eegdann");
        int passes = 3;
        var recordings = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model" when i + 1 < args.Length:
                    modelPath = args[++i];
                    break;
                case "--passes" when i + 1 < args.Length:
                    passes = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    recordings.Add(args[i]);
                    break;
            }
        }

        if (recordings.Count == 0)
        {
            recordings.AddRange(Directory.GetFiles(Path.Combine(context.RepositoryRoot, "recordings"), "S*R*.parquet")
                .Where(f => !f.EndsWith(".events.parquet", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal));
        }

        string loadBefore = DecodeLatencyBench.LoadAverage();
        Console.WriteLine($"model {modelPath}; {recordings.Count} recordings; {passes} passes after a warm-up; load average {loadBefore}");
        string git = GitDescription(context.RepositoryRoot);
        var warm = Stopwatch.StartNew();
        await RecordingReplay.RunAsync(new ReplaySettings(modelPath, [recordings[0]], Speed: 0));
        warm.Stop();
        Console.WriteLine($"warm-up replay of {Path.GetFileName(recordings[0])} (cold process: JIT, TorchSharp, model load): {warm.Elapsed.TotalSeconds:F2} s");

        var rows = new List<RecordingRow>();
        foreach (string recording in recordings)
        {
            var times = new List<double>();
            var cpu = new List<double>();
            RecordingReplayResult? result = null;
            double? agreement = null;
            for (int pass = 0; pass < passes; pass++)
            {
                // The first pass also decides every window the batch way (the agreement); the others only time.
                var report = await RecordingReplay.RunAsync(new ReplaySettings(modelPath, [recording], Speed: 0, WarmupSeconds: 0, Compare: pass == 0));
                result = report.Recordings[0];
                times.Add(result.WallSeconds);
                cpu.Add(result.CpuSeconds);
                agreement = pass == 0 ? ReplaySummary.Of(report, "max").Total.BatchAgreement : agreement;
            }

            times.Sort();
            cpu.Sort();
            var row = new RecordingRow(
                Path.GetFileName(recording),
                result!.Alignment,
                result.Decisions.Count,
                result.SignalSeconds,
                times[0],
                times[times.Count / 2],
                result.SignalSeconds / times[0],
                result.SignalSeconds / times[times.Count / 2],
                cpu[cpu.Count / 2],
                result.SignalSeconds / cpu[cpu.Count / 2],
                agreement);
            rows.Add(row);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row.recording} [{row.alignment}]: {row.windows} windows, processing best {row.processing_s_best:F3} s, median {row.processing_s_median:F3} s of {row.signal_s:F1} s: {row.realtime_factor_best:F0}× (median {row.realtime_factor_median:F0}×; {row.realtime_factor_cpu_median:F0}× per CPU second), batch agreement {row.batch_agreement}"));
        }

        var latency = await LiveLatencyAsync(modelPath, recordings);
        foreach (var (row, kind) in new[] { (latency.Fixed, "aligned with the model's alignment"), (latency.FromStream, "aligned from the stream") })
        {
            if (row != null)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"live path per window (chunk of one stride → decision), {row.windows} windows {kind}: p50 {row.p50_ms:F3} ms, p99 {row.p99_ms:F3} ms, max {row.max_ms:F3} ms"));
            }
        }
        var result2 = new
        {
            model = Path.GetFileName(modelPath),
            passes,
            definition = "realtime_factor = signal seconds / processing seconds (processing_s of `eegdann replay --speed max --json`: reading row groups, fail-safe checks, filters, windows, features, batched forward passes, decisions; model load, warm-up and the batch comparison not included) in a process warmed by one replay; best and median of the passes; realtime_factor_cpu: per CPU second of the process over the same span (the machine is shared); batch_agreement from the first pass",
            recordings = rows,
            live_latency_definition = "chunks of one stride through WindowStage, each window decoded at once by DecodeStage.Decode (forward pass of one window, policy): arrival of the chunk → decision, ms",
            live_latency_fixed_alignment = latency.Fixed,
            live_latency_stream_alignment = latency.FromStream,
            load_average_before = loadBefore,
            load_average_after = DecodeLatencyBench.LoadAverage(),
            processors = Environment.ProcessorCount,
            commit = git,
            measured_utc = DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture),
        };
        string file = Path.Combine(context.ResultsDirectory, "replay-speed.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(result2, BenchJson.Indented));
        Console.WriteLine($"wrote {file}");
        return 0;
    }

    private static async Task<(LatencyRow? Fixed, LatencyRow? FromStream)> LiveLatencyAsync(string modelPath, IReadOnlyList<string> recordings)
    {
        TorchRuntime.UseThreads(1);
        var metrics = new DaemonMetrics();
        using var models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);
        var model = DecoderModelLoader.Load(modelPath);
        var decoder = new DecoderOptions { ModelPath = modelPath };
        models.Initialize(model, decoder.Alignment);
        var fixedLatency = new List<double>();
        var streamLatency = new List<double>();
        var items = new List<WindowItem>();
        foreach (string path in recordings)
        {
            var recording = await ParquetRecordingReader.ReadAsync(path);
            bool fixedAlignment = model.AlignmentFor(recording.Metadata.Subject, decoder.Alignment) == Pipelines.OnlineAlignment.Fixed;
            var latency = fixedAlignment ? fixedLatency : streamLatency;
            int stride = model.StrideSamples;
            var chunks = Enumerable.Range(0, recording.SampleCount / stride).Select(k => SampleChunk.FromChannelMajor(recording.Samples, (long)k * stride, stride)).ToArray();
            var stage = new WindowStage(models, new FailSafeOptions(), decoder, new AcquisitionOptions(), metrics, NullLogger<WindowStage>.Instance);
            var decode = new DecodeStage(decoder, models, metrics, [], NullLogger<DecodeStage>.Instance);
            items.Clear();
            stage.Handle(new StreamStarted(new StreamDescription(recording.Info, Path.GetFileName(path), recording.Metadata.Subject)), items);
            foreach (var chunk in chunks)
            {
                long arrival = Stopwatch.GetTimestamp();
                items.Clear();
                stage.Handle(new ChunkArrived(chunk, arrival), items);
                foreach (var item in items)
                {
                    decode.Decode(item);
                    if (item.Kind == WindowItemKind.Window)
                    {
                        latency.Add(Stopwatch.GetElapsedTime(arrival).TotalMilliseconds);
                    }
                }
            }
        }

        return (Row(fixedLatency), Row(streamLatency));
    }

    private static string GitDescription(string root)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "-C " + root + " describe --always --dirty") { RedirectStandardOutput = true, UseShellExecute = false });
            string text = git!.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return text;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    private static LatencyRow? Row(List<double> latency)
    {
        if (latency.Count == 0)
        {
            // No recording of this kind was replayed (JSON has no NaN).
            return null;
        }

        latency.Sort();
        return new LatencyRow(latency.Count, DecisionListener.NearestRank(latency, 0.5), DecisionListener.NearestRank(latency, 0.99), latency.Count > 0 ? latency[^1] : double.NaN);
    }

    private sealed record RecordingRow(string recording, string alignment, int windows, double signal_s, double processing_s_best, double processing_s_median, double realtime_factor_best, double realtime_factor_median, double cpu_s_median, double realtime_factor_cpu_median, double? batch_agreement);

    private sealed record LatencyRow(int windows, double p50_ms, double p99_ms, double max_ms);
}
