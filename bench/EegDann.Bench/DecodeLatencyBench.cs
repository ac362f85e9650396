using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Output;
using EegDann.Daemon.Processing;
using EegDann.Model;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Bench;

/// <summary>
/// The daemon's decode path for one window, in-process and on one thread: a 62.5 ms chunk (one
/// stride) through the filter/window stage (fail-safe checks, filters, window, features), the
/// decoder (forward pass in a dispose scope, smoothing, threshold, dwell) and the control output
/// (JSON, UDP datagram to loopback) — from the chunk's arrival stamp to after the send, as the
/// daemon's latency_ms. Also the forward pass alone. No reference implementation exists for this
/// path, so there is no ratio.
/// </summary>
public sealed class DecodeLatencyBench : IBench
{
    public string Name => "decode-latency";

    public string Description => "daemon decode path per window (chunk → filters → features → forward pass → decision → UDP send), p50/p99; args: MODEL [RECORDING] [PASSES]";

    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: decode-latency MODEL.eegdann [RECORDING.parquet (recordings/S002R04.parquet)] [PASSES (5)]");
            return 2;
        }

        string modelPath = args[0];
        string recordingPath = args.Length > 1 ? args[1] : Path.Combine(context.RepositoryRoot, "recordings", "S002R04.parquet");
        int passes = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        TorchRuntime.UseThreads(1);
        var recording = await ParquetRecordingReader.ReadAsync(recordingPath);
        var metrics = new DaemonMetrics();
        var models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);
        var model = DecoderModelLoader.Load(modelPath);
        models.Initialize(model, AlignmentMode.Auto);
        int stride = model.StrideSamples;
        var chunks = Enumerable.Range(0, recording.SampleCount / stride).Select(k => SampleChunk.FromChannelMajor(recording.Samples, (long)k * stride, stride)).ToArray();
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var decoder = new DecoderOptions { ModelPath = modelPath };
        var output = new ControlOutput(new ControlOutputOptions { Udp = receiver.Client.LocalEndPoint!.ToString() }, metrics, NullLogger<ControlOutput>.Instance);
        var draining = DrainAsync(receiver);
        Console.WriteLine($"model {model.Id} ({model.Definition.Name}, {model.InputSize} inputs); {recordingPath}: {recording.SampleCount} samples, {chunks.Length} chunks of {stride} ({stride / recording.Info.SampleRateHz * 1000:F1} ms); {passes} passes; load average {LoadAverage()}");

        var path = new List<double>();
        var forward = new List<double>();
        var items = new List<WindowItem>();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long windows = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            // A fresh stage per pass: the same stream from sample 0, as a new connection would be.
            var stage = new WindowStage(models, new FailSafeOptions(), decoder, new AcquisitionOptions(), metrics, NullLogger<WindowStage>.Instance);
            var decode = new DecodeStage(decoder, models, metrics, [], NullLogger<DecodeStage>.Instance);
            items.Clear();
            stage.Handle(new StreamStarted(new StreamDescription(recording.Info, "bench", recording.Metadata.Subject)), items);
            foreach (var chunk in chunks)
            {
                long arrival = Stopwatch.GetTimestamp();
                items.Clear();
                stage.Handle(new ChunkArrived(chunk, arrival), items);
                foreach (var item in items)
                {
                    long before = Stopwatch.GetTimestamp();
                    var decision = decode.Decode(item);
                    forward.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds);
                    output.Send(decision);
                    path.Add(Stopwatch.GetElapsedTime(arrival).TotalMilliseconds);
                    windows++;
                }
            }
        }

        wall.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        receiver.Close();
        await draining;
        path.Sort();
        forward.Sort();
        double streamSeconds = passes * recording.SampleCount / recording.Info.SampleRateHz;
        var result = new
        {
            model = model.Id,
            recording = Path.GetFileName(recordingPath),
            windows,
            path_ms = Quantiles(path),
            decode_ms = Quantiles(forward),
            wall_seconds = wall.Elapsed.TotalSeconds,
            cpu_seconds = cpu.TotalSeconds,
            times_real_time_wall = streamSeconds / wall.Elapsed.TotalSeconds,
            load_average = LoadAverage(),
        };
        Console.WriteLine($"decode path (arrival → datagram sent), {windows} windows: p50 {result.path_ms.p50:F3} ms  p99 {result.path_ms.p99:F3} ms  max {result.path_ms.max:F3} ms");
        Console.WriteLine($"decoder alone (forward pass + policy):          p50 {result.decode_ms.p50:F3} ms  p99 {result.decode_ms.p99:F3} ms  max {result.decode_ms.max:F3} ms");
        Console.WriteLine($"{streamSeconds:F0} s of signal in {wall.Elapsed.TotalSeconds:F2} s wall ({result.times_real_time_wall:F0}× real time), {cpu.TotalSeconds:F2} s CPU; load average after: {result.load_average}");
        string file = Path.Combine(context.ResultsDirectory, "decode-latency.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(result, BenchJson.Indented));
        Console.WriteLine($"wrote {file}");
        output.Dispose();
        models.Dispose();
        return 0;
    }

    internal static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static LatencyQuantiles Quantiles(List<double> sorted) =>
        new(DecisionListener.NearestRank(sorted, 0.5), DecisionListener.NearestRank(sorted, 0.99), sorted.Count > 0 ? sorted[^1] : double.NaN);

    private sealed record LatencyQuantiles(double p50, double p99, double max);

    private static async Task DrainAsync(UdpClient receiver)
    {
        try
        {
            while (true)
            {
                await receiver.ReceiveAsync();
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // Closed at the end of the benchmark.
        }
    }
}
