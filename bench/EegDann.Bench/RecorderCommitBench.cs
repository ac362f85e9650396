using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EegDann.Core;
using EegDann.Recordings.Parquet;

namespace EegDann.Bench;

/// <summary>
/// The session recorder's file writer alone: <see cref="RecordingPartWriter"/> fed a 64-channel,
/// 160 Hz stream (the soak's S002R04 shape) as 8-sample chunks, as fast as it takes them, for an
/// hour of signal by default, starting the next file when one reaches its bound of row groups (as the
/// session recorder does; <c>--max-row-groups 720</c> gives the former one-hour files). For every row group it measures the wall time and the managed bytes
/// allocated by the commit, and prints them per 5 minutes of signal, so a cost that grows with the
/// file shows as a rising column. No daemon, no decoder: seconds, not the soak's tens of minutes.
/// </summary>
public sealed class RecorderCommitBench : IBench
{
    public string Name => "recorder-commit";

    public string Description => "RecordingPartWriter alone (64 ch, 160 Hz, 8-sample chunks): ms and MB allocated per committed row group along an hour of signal; args: [--minutes 60] [--row-group-seconds 5] [--max-row-groups 120]";

    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        double minutes = double.Parse(BenchArgs.Value(args, "--minutes") ?? "60", CultureInfo.InvariantCulture);
        double rowGroupSeconds = double.Parse(BenchArgs.Value(args, "--row-group-seconds") ?? "5", CultureInfo.InvariantCulture);
        int maxRowGroups = int.Parse(BenchArgs.Value(args, "--max-row-groups") ?? RecordingPartWriter.DefaultMaxRowGroups.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        const int channels = 64, chunk = 8;
        const double rate = 160;
        var info = new SignalInfo(rate, Enumerable.Range(0, channels).Select(c => $"C{c}").ToArray());
        string work = Directory.CreateTempSubdirectory("eegdann-recorder-commit-").FullName;
        try
        {
            var random = new Random(14);
            var interleaved = new float[chunk * channels * 64];
            for (int i = 0; i < interleaved.Length; i++)
            {
                interleaved[i] = (float)(random.NextDouble() * 100 - 50);
            }

            long total = (long)(minutes * 60 * rate);
            var rows = new List<object>();
            int files = 1;
            long fileStart = 0;
            var writer = await RecordingPartWriter.CreateAsync(Path.Combine(work, "soak_001.parquet"), info, new RecordingMetadata { Subject = "S000" }, rowGroupSeconds, maxRowGroups);
            var clock = Stopwatch.StartNew();
            long groups = 0, periodGroups = 0, periodAllocated = 0;
            double periodMs = 0, worstMs = 0;
            long reportEvery = (long)(5 * 60 * rate);
            for (long first = 0; first < total; first += chunk)
            {
                int offset = (int)(first / chunk % 64) * chunk * channels;
                if (writer.NextSample + chunk > writer.SampleCapacity)
                {
                    await writer.CompleteAsync();
                    await writer.DisposeAsync();
                    files++;
                    fileStart = first;
                    writer = await RecordingPartWriter.CreateAsync(Path.Combine(work, $"soak_{files:000}.parquet"), info, new RecordingMetadata { Subject = "S000" }, rowGroupSeconds, maxRowGroups);
                }

                long durable = writer.DurableSamples;
                long allocated = GC.GetTotalAllocatedBytes(false);
                long start = Stopwatch.GetTimestamp();
                await writer.AppendInterleavedAsync(first - fileStart, interleaved.AsMemory(offset, chunk * channels));
                if (writer.DurableSamples != durable)
                {
                    double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    groups++;
                    periodGroups++;
                    periodMs += ms;
                    worstMs = Math.Max(worstMs, ms);
                    periodAllocated += GC.GetTotalAllocatedBytes(false) - allocated;
                }

                if ((first + chunk) % reportEvery == 0 && periodGroups > 0)
                {
                    var row = new
                    {
                        signal_minutes = (first + chunk) / rate / 60,
                        row_groups = groups,
                        commit_ms_mean = periodMs / periodGroups,
                        commit_ms_max = worstMs,
                        allocated_mb_per_commit = periodAllocated / 1e6 / periodGroups,
                        file = files,
                        part_file_mb = new FileInfo(writer.PartPath).Length / 1e6,
                        state_file_mb = new FileInfo(writer.StatePath).Length / 1e6,
                        working_set_mb = Environment.WorkingSet / 1e6,
                    };
                    rows.Add(row);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{row.signal_minutes,6:F1} min, {row.row_groups,5} row groups: commit {row.commit_ms_mean,7:F2} ms mean, {row.commit_ms_max,7:F2} max, {row.allocated_mb_per_commit,7:F3} MB allocated per commit; part {row.part_file_mb:F1} MB, state {row.state_file_mb:F3} MB, working set {row.working_set_mb:F0} MB"));
                    (periodGroups, periodAllocated, periodMs, worstMs) = (0, 0, 0, 0);
                }
            }

            await writer.DisposeAsync();
            double wall = clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{minutes} min of signal in {wall:F1} s ({minutes * 60 / wall:F0}x real time), {groups} row groups in {files} files of at most {maxRowGroups}"));
            string file = Path.Combine(context.ResultsDirectory, "recorder-commit.json");
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
            {
                command = "dotnet run -c Release --project bench/EegDann.Bench -- recorder-commit " + string.Join(' ', args),
                signal_minutes = minutes,
                row_group_seconds = rowGroupSeconds,
                max_row_groups_per_file = maxRowGroups,
                files,
                wall_seconds = wall,
                realtime_factor = minutes * 60 / wall,
                load_average = Daemon.Benchmarks.MachineSnapshot.LoadAverageText(),
                periods = rows,
            }, BenchJson.Indented));
            Console.WriteLine($"wrote {file}");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
