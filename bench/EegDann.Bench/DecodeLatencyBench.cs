using System.Globalization;
using System.Text.Json;
using EegDann.Daemon.Benchmarks;

namespace EegDann.Bench;

/// <summary>
/// The daemon's decode path for one window, in-process and on one thread (<see cref="DecodePathTiming"/>,
/// which <c>eegdann bench</c> also runs): a stride's chunk through the filter/window stage, the
/// decoder and the control output, from the chunk's arrival stamp to after the UDP send; also the
/// forward pass alone. No reference implementation exists for this path, so there is no ratio.
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
        Console.WriteLine($"{modelPath} on {recordingPath}, {passes} passes; load average {LoadAverage()}");
        var r = await DecodePathTiming.MeasureAsync(modelPath, recordingPath, passes);
        var result = new
        {
            model = r.ModelId,
            recording = r.Recording,
            windows = r.Windows,
            path_ms = new { p50 = r.PathMilliseconds.P50, p99 = r.PathMilliseconds.P99, max = r.PathMilliseconds.Max },
            decode_ms = new { p50 = r.DecodeMilliseconds.P50, p99 = r.DecodeMilliseconds.P99, max = r.DecodeMilliseconds.Max },
            wall_seconds = r.WallSeconds,
            cpu_seconds = r.CpuSeconds,
            times_real_time_wall = r.SignalSeconds / r.WallSeconds,
            allocated_bytes_per_window = new { window_stage = r.Allocated.WindowStage, decoder = r.Allocated.Decoder, output = r.Allocated.Output },
            load_average = LoadAverage(),
        };
        Console.WriteLine($"decode path (arrival → datagram sent), {r.Windows} windows: p50 {result.path_ms.p50:F3} ms  p99 {result.path_ms.p99:F3} ms  max {result.path_ms.max:F3} ms");
        Console.WriteLine($"decoder alone (forward pass + policy):          p50 {result.decode_ms.p50:F3} ms  p99 {result.decode_ms.p99:F3} ms  max {result.decode_ms.max:F3} ms");
        Console.WriteLine($"allocated on the path's thread per window (last pass): {r.Allocated.Total:F0} bytes (window stage {r.Allocated.WindowStage:F0}, decoder {r.Allocated.Decoder:F0}, output {r.Allocated.Output:F0})");
        Console.WriteLine($"{r.SignalSeconds:F0} s of signal in {r.WallSeconds:F2} s wall ({result.times_real_time_wall:F0}× real time), {r.CpuSeconds:F2} s CPU; load average after: {result.load_average}");
        string file = Path.Combine(context.ResultsDirectory, "decode-latency.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(result, BenchJson.Indented));
        Console.WriteLine($"wrote {file}");
        return 0;
    }

    internal static string LoadAverage() => MachineSnapshot.LoadAverageText();
}
