using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.UseCases;
using EegDann.Recordings.Import;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Bench;

/// <summary>
/// The issue's speed and accuracy check in one run: <c>evaluate --protocol loso --seeds 0,1,2</c> on
/// S001–S010 with the default pipeline, <c>calibrate-new-subject</c> S001 → S002, and the Python
/// reference (<c>mi_reference.py --threads 1</c>, six methods, seed 0) on the same machine in the
/// same session, with wall and CPU times, the load average, and the ratio.
/// </summary>
/// <remarks>
/// Usage: <c>calibration-evaluate [--pipeline pipelines/mi-fb-dann.json] [--seeds 0,1,2] [--data DIR] [--no-reference] [--parallel N]</c>.
/// Without <c>--data</c> the 30 shared EDF files are imported into a temporary directory first (not timed).
/// </remarks>
public sealed class CalibrationEvaluateBench : IBench
{
    /// <inheritdoc />
    public string Name => "calibration-evaluate";

    /// <inheritdoc />
    public string Description => "evaluate LOSO S001-S010 (seeds 0,1,2) and calibrate S001->S002, beside mi_reference.py (six methods, seed 0, one thread)";

    /// <inheritdoc />
    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        string pipeline = Path.GetFullPath(BenchArgs.Value(args, "--pipeline") ?? "pipelines/mi-fb-dann.json", context.RepositoryRoot);
        var seeds = (BenchArgs.Value(args, "--seeds") ?? "0,1,2").Split(',').Select(int.Parse).ToArray();
        int parallel = int.Parse(BenchArgs.Value(args, "--parallel") ?? "1", CultureInfo.InvariantCulture);
        bool reference = !args.Contains("--no-reference");
        string? data = BenchArgs.Value(args, "--data");
        string? temporary = null;
        if (data is null)
        {
            if (context.RawDirectory is null)
            {
                Console.Error.WriteLine("No --data directory and no shared raw recordings to import.");
                return 2;
            }

            temporary = Directory.CreateTempSubdirectory("eegdann-bench-").FullName;
            foreach (var edf in Directory.EnumerateFiles(Path.Combine(context.RawDirectory, "eegmmidb"), "*.edf", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var recording = RecordingImporter.Read(edf);
                await ParquetRecordingWriter.WriteAsync(recording, Path.Combine(temporary, Path.GetFileNameWithoutExtension(edf) + ".parquet"));
            }

            data = temporary;
        }

        try
        {
            TorchRuntime.UseThreads(1);
            var result = new JsonObject { ["pipeline"] = Path.GetFileName(pipeline), ["seeds"] = new JsonArray(seeds.Select(s => (JsonNode)s).ToArray()), ["load_average_before"] = LoadAverage() };

            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var evaluation = await Evaluate.RunAsync(new EvaluateRequest(pipeline, data, EvaluationProtocol.Loso, null, seeds, Parallelism: parallel), NullLogger.Instance);
            double evaluateWall = wall.Elapsed.TotalSeconds;
            double evaluateCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            Console.WriteLine($"evaluate loso seeds {string.Join(",", seeds)}: {evaluateWall:F1} s wall, {evaluateCpu:F1} s CPU, {evaluation.Networks} networks (load average {LoadAverage()})");
            foreach (var m in evaluation.Methods)
            {
                Console.WriteLine($"  {m,-28} {evaluation.Summary[m].Mean:F3} ± {evaluation.Summary[m].Sd:F3}   seeds {string.Join(" / ", evaluation.Summary[m].SeedMeans.Values.Select(v => v.ToString("F3", CultureInfo.InvariantCulture)))}");
            }

            result["evaluate"] = new JsonObject
            {
                ["wall_seconds"] = Math.Round(evaluateWall, 2),
                ["cpu_seconds"] = Math.Round(evaluateCpu, 2),
                ["networks"] = evaluation.Networks,
                ["default_method"] = evaluation.DefaultMethod,
                ["summary"] = EvaluationReport.ToJson(evaluation)["summary"]!.DeepClone(),
                ["load_average_after"] = LoadAverage(),
            };

            var calibrateTimes = new List<double>();
            for (int i = 0; i < 3; i++)
            {
                var request = new CalibrateRequest
                {
                    PipelinePath = pipeline,
                    Sources = new[] { "R04", "R08", "R12" }.Select(r => RecordingInput.FromPath(Path.Combine(data, $"S001{r}.parquet"))).ToArray(),
                    Targets = new[] { "R04", "R08", "R12" }.Select(r => RecordingInput.FromPath(Path.Combine(data, $"S002{r}.parquet"))).ToArray(),
                };
                wall.Restart();
                using var outcome = await CalibrateNewSubject.RunAsync(request, NullLogger.Instance);
                calibrateTimes.Add(wall.Elapsed.TotalSeconds);
            }

            calibrateTimes.Sort();
            Console.WriteLine($"calibrate-new-subject S001 -> S002 (in process, report built, nothing written): median {calibrateTimes[1]:F1} s of 3 ({string.Join(", ", calibrateTimes.Select(t => t.ToString("F1", CultureInfo.InvariantCulture)))})");
            result["calibrate_s001_to_s002_seconds"] = new JsonArray(calibrateTimes.Select(t => (JsonNode)Math.Round(t, 2)).ToArray());

            if (reference && context.Python is not null && context.PeersDirectory is not null && context.RawDirectory is not null)
            {
                var start = new ProcessStartInfo(context.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                start.ArgumentList.Add(Path.Combine(context.PeersDirectory, "mi_reference.py"));
                start.ArgumentList.Add(Path.Combine(context.RawDirectory, "eegmmidb"));
                start.ArgumentList.Add("--threads");
                start.ArgumentList.Add("1");
                string before = LoadAverage();
                wall.Restart();
                using var process = Process.Start(start)!;
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync();
                double referenceWall = wall.Elapsed.TotalSeconds;
                double referenceCpu = process.TotalProcessorTime.TotalSeconds;
                var last = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
                if (process.ExitCode != 0 || last is null)
                {
                    Console.Error.WriteLine($"mi_reference.py failed ({process.ExitCode}): {await stderr}");
                    return 1;
                }

                var summary = JsonNode.Parse(last)!;
                Console.WriteLine($"mi_reference.py (six methods, seed 0, one thread): {referenceWall:F1} s wall, its own total {summary["total_seconds"]} s (load average {before} → {LoadAverage()})");
                foreach (var (name, value) in summary["summary"]!.AsObject())
                {
                    Console.WriteLine($"  {name,-28} {value!["mean"]} ± {value["sd"]}");
                }

                Console.WriteLine($"ratio EegDann evaluate (all methods, {seeds.Length} seeds) / reference (six methods, seed 0): {evaluateWall / referenceWall:F2} wall");
                result["reference"] = new JsonObject
                {
                    ["wall_seconds"] = Math.Round(referenceWall, 2),
                    ["cpu_seconds"] = Math.Round(referenceCpu, 2),
                    ["total_seconds_reported"] = summary["total_seconds"]!.DeepClone(),
                    ["summary"] = summary["summary"]!.DeepClone(),
                    ["load_average_before"] = before,
                    ["load_average_after"] = LoadAverage(),
                };
                result["ratio_wall"] = Math.Round(evaluateWall / referenceWall, 3);
            }

            await File.WriteAllTextAsync(Path.Combine(context.ResultsDirectory, "calibration-evaluate.json"), result.ToJsonString(BenchJson.Indented));
            return 0;
        }
        finally
        {
            if (temporary is not null)
            {
                Directory.Delete(temporary, recursive: true);
            }
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
