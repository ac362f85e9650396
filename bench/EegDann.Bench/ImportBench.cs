using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EegDann.Recordings.Import;
using EegDann.Recordings.Parquet;

namespace EegDann.Bench;

/// <summary>
/// Import speed on every shared raw EEGMMIDB file (EDF → Parquet samples + events), as a multiple of
/// real time and in MB/s of source, plus reading alone beside MNE-Python's read_raw_edf.
/// </summary>
public sealed class ImportBench : IBench
{
    public string Name => "import";

    public string Description => "eegdann import of all shared raw EDF files: × real time, MB/s; EDF reading vs MNE-Python";

    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        if (context.RawDirectory is null)
        {
            Console.Error.WriteLine("The shared raw recordings (shared/recordings-raw) were not found.");
            return 2;
        }

        int repeats = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var files = Directory.GetFiles(Path.Combine(context.RawDirectory, "eegmmidb"), "*.edf", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        double megabytes = files.Sum(f => new FileInfo(f).Length) / 1e6;
        double recordedSeconds = files.Sum(f => RecordingImporter.Read(f).DurationSeconds);
        string output = Path.Combine(Path.GetTempPath(), "eegdann-bench-import-" + Environment.ProcessId);
        Console.WriteLine($"{files.Count} files, {megabytes:F1} MB, {recordedSeconds:F0} s of 64-channel EEG at 160 Hz; {repeats} repeats after one warm-up");

        var import = new List<double>();
        var read = new List<double>();
        var importCpu = new List<double>();
        var readCpu = new List<double>();
        var self = Process.GetCurrentProcess();
        try
        {
            for (int r = 0; r <= repeats; r++)
            {
                self.Refresh();
                var cpu0 = self.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                var results = await RecordingImporter.ImportAsync(files, output, new ImportOptions());
                double importSeconds = clock.Elapsed.TotalSeconds;
                self.Refresh();
                var cpu1 = self.TotalProcessorTime;
                if (results.Any(x => !x.Succeeded))
                {
                    Console.Error.WriteLine(string.Join(Environment.NewLine, results.Where(x => !x.Succeeded).Select(x => x.Error)));
                    return 1;
                }

                clock.Restart();
                foreach (var file in files)
                {
                    EdfReader.Read(file);
                }

                double readSeconds = clock.Elapsed.TotalSeconds;
                self.Refresh();
                var cpu2 = self.TotalProcessorTime;
                if (r > 0)
                {
                    import.Add(importSeconds);
                    read.Add(readSeconds);
                    importCpu.Add((cpu1 - cpu0).TotalSeconds);
                    readCpu.Add((cpu2 - cpu1).TotalSeconds);
                }
            }

            long parquetBytes = Directory.GetFiles(output).Sum(f => new FileInfo(f).Length);
            var parquetRead = new List<double>();
            var outputs = Directory.GetFiles(output, "*.parquet").Where(f => !f.EndsWith(".events.parquet", StringComparison.Ordinal)).ToList();
            for (int r = 0; r <= repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                foreach (var file in outputs)
                {
                    await ParquetRecordingReader.ReadAsync(file);
                }

                if (r > 0)
                {
                    parquetRead.Add(clock.Elapsed.TotalSeconds);
                }
            }

            double importMedian = Median(import);
            double readMedian = Median(read);
            Console.WriteLine($"import (read EDF, SHA-256, write Parquet): median {importMedian:F3} s = {recordedSeconds / importMedian:F0}× real time, {megabytes / importMedian:F1} MB/s (runs: {string.Join(", ", import.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)))})");
            Console.WriteLine($"  CPU time (all threads, robust to other load on the machine): import median {Median(importCpu):F3} s = {recordedSeconds / Median(importCpu):F0}× real time; EDF reading {Median(readCpu):F3} s");
            Console.WriteLine($"EDF reading alone: median {readMedian:F3} s = {recordedSeconds / readMedian:F0}× real time, {megabytes / readMedian:F1} MB/s");
            Console.WriteLine($"load average while measuring: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?")} (2 cores)");
            Console.WriteLine($"Parquet written: {parquetBytes / 1e6:F1} MB ({parquetBytes / 1e6 / megabytes:P0} of the EDF size); reading it all back (samples + events): median {Median(parquetRead):F3} s = {recordedSeconds / Median(parquetRead):F0}× real time");

            var (mne, mneCpu) = RunMne(context, files, repeats);
            if (mne is { } m && mneCpu is { } mc)
            {
                Console.WriteLine($"MNE-Python read_raw_edf(preload=True) of the same files: median {m:F3} s wall, {mc:F3} s CPU; EegDann's EDF reading is {m / readMedian:F1}× faster (wall), {mc / Median(readCpu):F1}× (CPU)");
            }

            var result = new Dictionary<string, object?>
            {
                ["files"] = files.Count,
                ["source_mb"] = megabytes,
                ["recorded_s"] = recordedSeconds,
                ["import_median_s"] = importMedian,
                ["import_cpu_median_s"] = Median(importCpu),
                ["import_x_realtime"] = recordedSeconds / importMedian,
                ["import_mb_per_s"] = megabytes / importMedian,
                ["read_median_s"] = readMedian,
                ["mne_read_median_s"] = mne,
                ["mne_read_cpu_median_s"] = mneCpu,
                ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null,
                ["parquet_mb"] = parquetBytes / 1e6,
                ["parquet_read_median_s"] = Median(parquetRead),
            };
            File.WriteAllText(Path.Combine(context.ResultsDirectory, "import.json"), JsonSerializer.Serialize(result, BenchJson.Indented));
            return 0;
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static (double? Wall, double? Cpu) RunMne(BenchContext context, List<string> files, int repeats)
    {
        string script = Path.Combine(context.RepositoryRoot, "bench", "python", "mne_read_edf.py");
        if (context.Python is null || !File.Exists(script))
        {
            Console.WriteLine("MNE-Python reference skipped: /usr/bin/python3 or the script is missing.");
            return (null, null);
        }

        var start = new ProcessStartInfo(context.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(repeats.ToString(CultureInfo.InvariantCulture));
        files.ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Console.WriteLine($"MNE-Python reference failed: {stderr.Trim()}");
            return (null, null);
        }

        using var json = JsonDocument.Parse(stdout);
        var seconds = json.RootElement.GetProperty("seconds").EnumerateArray().Select(x => x.GetDouble()).ToList();
        var cpu = json.RootElement.GetProperty("cpu_seconds").EnumerateArray().Select(x => x.GetDouble()).ToList();
        return (Median(seconds), Median(cpu));
    }
}
