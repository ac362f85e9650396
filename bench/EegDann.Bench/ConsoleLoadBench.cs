using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EegDann.Pipelines.UseCases;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Bench;

/// <summary>
/// Decoding with and without browsers on the live console: the whole daemon replaying S002R04
/// at 10× (as <c>daemon-latency</c>, Normal scheduling), once with no console open and once with
/// five event streams read throughout, alternating A B A B…; per run the datagrams'
/// <c>latency_ms</c> p50/p99 and the decoder's own forward-pass time p99, and the frames each
/// console received. The console reads a copy of the decoder's output, so the numbers should
/// not move beyond the machine's noise.
/// </summary>
public sealed class ConsoleLoadBench : IBench
{
    public string Name => "console-load";

    public string Description => "decode latency p50/p99 with 0 vs 5 live consoles open (daemon replaying S002R04 at 10x, runs alternated); args: [--model M] [--repeats N] [--consoles K]";

    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        string? model = BenchArgs.Value(args, "--model");
        int repeats = int.Parse(BenchArgs.Value(args, "--repeats") ?? "3", CultureInfo.InvariantCulture);
        int consoles = int.Parse(BenchArgs.Value(args, "--consoles") ?? "5", CultureInfo.InvariantCulture);
        string recording = Path.Combine(context.RepositoryRoot, "recordings", "S002R04.parquet");
        string work = Directory.CreateTempSubdirectory("eegdann-console-bench-").FullName;
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

            var results = new List<object>();
            for (int i = 0; i < repeats; i++)
            {
                foreach (int open in new[] { 0, consoles })
                {
                    var r = await DaemonLatencyBench.RunOnceAsync(model, recording, 10, "Normal", Path.Combine(work, $"rec-{i}-{open}"), open);
                    Console.WriteLine(
                        $"run {i + 1}, {open} consoles: {r.Heard.Datagrams} datagrams, seq gaps {r.Heard.SeqGaps}; latency_ms p50 {r.Heard.LatencyP50Ms:F3} p99 {r.Heard.LatencyP99Ms:F3}; " +
                        $"forward pass p99 {r.DecodeP99Ms:F3} ms; console frames {string.Join("/", r.ConsoleFrames)}; load average {r.LoadBefore} → {r.LoadAfter}");
                    results.Add(new
                    {
                        run = i + 1,
                        consoles = open,
                        datagrams = r.Heard.Datagrams,
                        seq_gaps = r.Heard.SeqGaps,
                        latency_ms = new { p50 = r.Heard.LatencyP50Ms, p99 = r.Heard.LatencyP99Ms, max = r.Heard.LatencyMaxMs },
                        forward_pass_p99_ms = r.DecodeP99Ms,
                        console_frames = r.ConsoleFrames,
                        load_average_before = r.LoadBefore,
                        load_average_after = r.LoadAfter,
                    });
                }
            }

            string file = Path.Combine(context.ResultsDirectory, "console-load.json");
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(results, BenchJson.Indented));
            Console.WriteLine($"wrote {file}");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Reads the console's event stream like a browser (every frame parsed as JSON) until cancelled; returns the frames read.</summary>
    internal static async Task<long> ReadEventsAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n"), cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        long frames = 0;
        try
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    using var _ = JsonDocument.Parse(line.AsMemory(6));
                    frames++;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }

        return frames;
    }
}
