using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Daemon.Benchmarks;
using EegDann.Recordings;
using Serilog;

namespace EegDann.Cli;

/// <summary>
/// <c>eegdann bench [--json] [--out-file FILE] [--quick] [--repository DIR] [--python PATH]</c>: this
/// machine's numbers in one run (decode latency, replay speed, training step beside PyTorch's,
/// one calibration, the machine and its load), measured by the code the bench project uses.
/// </summary>
public static class BenchCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The interpreter tried for the PyTorch reference when <c>--python</c> is not given.</summary>
    public const string DefaultPython = "/usr/bin/python3";

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on stdout (progress goes to stderr)." };
        var output = new Option<FileInfo?>("--out-file") { Description = "Also write the JSON to this file (atomically: the whole file or nothing)." };
        var quick = new Option<bool>("--quick") { Description = "Few iterations and short inputs: checks that everything runs, not the machine's speed." };
        var repository = new Option<DirectoryInfo?>("--repository") { Description = "The repository (recordings/, pipelines/, tests/data/replay/, bench/python/); default: the one holding the current directory or the executable." };
        var python = new Option<string?>("--python") { Description = $"Python with torch, numpy and scikit-learn for the PyTorch reference (default {DefaultPython}; without it the reference is skipped and the result says why)." };
        var command = new Command("bench", "Measure this machine: decode latency (arrival → decision) p50/p99, replay speed (replay --speed max), the DANN training step beside PyTorch's, an S001 → S002 calibration, and the machine with its load average.");
        foreach (var option in new Option[] { json, output, quick, repository, python })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            bool isQuick = parse.GetValue(quick);
            string? root = parse.GetValue(repository)?.FullName ?? FindRepository();
            if (root is null)
            {
                Log.Error("bench: no repository found above {Directory} or the executable; give --repository DIR", Directory.GetCurrentDirectory());
                return ExitCodes.BadInput;
            }

            var missing = BenchSuite.RequiredFiles(isQuick).Where(f => !File.Exists(Path.Combine(root, f))).ToArray();
            if (missing.Length > 0)
            {
                foreach (string m in missing)
                {
                    Log.Error("bench: {File} is missing (--repository {Root})", Path.Combine(root, m), root);
                }

                return ExitCodes.BadInput;
            }

            var outFile = parse.GetValue(output);
            if (outFile?.Directory is { Exists: false } dir)
            {
                Log.Error("--out-file {File}: the folder {Folder} does not exist", outFile.FullName, dir.FullName);
                return ExitCodes.BadInput;
            }

            bool asJson = parse.GetValue(json);
            var settings = new BenchSuiteSettings(root, isQuick, parse.GetValue(python) ?? DefaultPython);
            JsonObject result = await BenchSuite.RunAsync(settings, line => (asJson ? Console.Error : Console.Out).WriteLine(line), cancellationToken);
            string text = result.ToJsonString(Json);
            if (outFile != null)
            {
                await AtomicFile.WriteAllTextAsync(outFile.FullName, text + "\n", cancellationToken);
            }

            if (asJson)
            {
                Console.Out.WriteLine(text);
            }
            else
            {
                Print(result);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The folder holding EegDann.sln at or above the current directory, else above the executable, or null.</summary>
    private static string? FindRepository()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EegDann.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    private static void Print(JsonObject r)
    {
        var decode = r["decode_latency_ms"]!;
        var step = r["train_step_ms"]!;
        var machine = r["machine"]!;
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"decode latency (arrival → datagram): p50 {(double)decode["p50"]!:F3} ms, p99 {(double)decode["p99"]!:F3} ms over {decode["windows"]} windows"));
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replay --speed max: {(double)r["replay_realtime_factor"]!:F0}× real time"));
        string pytorch = step["pytorch"] is { } p
            ? string.Create(CultureInfo.InvariantCulture, $"PyTorch {(double)p:F3} ms ({(double)step["pytorch_over_eegdann"]!:F2}× EegDann's time)")
            : $"PyTorch not measured: {step["reason"]}";
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DANN training step: {(double)step["eegdann"]!:F3} ms; {pytorch}"));
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"calibrate-new-subject S001 → S002: {(double)r["calibrate_pair_s"]!:F1} s"));
        Console.Out.WriteLine($"machine: {machine["cores"]} cores, {machine["cpu_model"]}, {machine["os"]}, {machine["dotnet"]}; load average {machine["load_average_start"]?.ToJsonString()} → {machine["load_average_end"]?.ToJsonString()}");
    }
}
