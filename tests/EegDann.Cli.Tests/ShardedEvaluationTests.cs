using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>
/// <c>evaluate --shard K/N --out DIR</c> as separate processes, then <c>evaluate merge DIR</c>: the
/// same rows, summary, learning curve and comparisons as one unsharded run (LOSO on the shipped
/// S001–S004, three methods, K = 0 and 2 labeled epochs per class, seed 0: 24 units in 3 shards).
/// </summary>
public sealed class ShardedEvaluationTests
{
    private static readonly string[] Methods = ["ea_source_only,ea_csp_lda,dann"];

    [Fact]
    public async Task ThreeShardsMergedGiveTheUnshardedRunAndAKilledShardIsNamedUntilItIsRerun()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string pipeline = await SmallPipeline(dir);
        string output = dir.File("out");
        string[] Evaluate(params string[] extra) =>
            ["evaluate", "--pipeline", pipeline, "--data", TestData.RecordingsDirectory, "--methods", .. Methods, "--seeds", "0", "--target-labeled", "0,2", .. extra];

        var whole = EegDannProcess.RunAsync([.. Evaluate("--json")]);

        // Shard 2 of 3 dies mid-run (kill -9 while it loads its recordings): it leaves no part file.
        await KillMidRunAsync(Evaluate("--shard", "2/3", "--out", output));
        Assert.False(File.Exists(Path.Combine(output, "part-2-of-3.parquet")));

        // Shards 1 and 3 (the second from a Slurm array's environment, numbered 0..2).
        var first = await EegDannProcess.RunAsync(Evaluate("--shard", "1/3", "--out", output, "--json"));
        Assert.True(first.ExitCode == 0, first.StdErr);
        Assert.Equal(8, (int)JsonNode.Parse(first.StdOut)!["units"]!);
        var third = await EegDannProcess.RunAsync(Evaluate("--out", output), new Dictionary<string, string>
        {
            ["SLURM_ARRAY_TASK_ID"] = "2", ["SLURM_ARRAY_TASK_MIN"] = "0", ["SLURM_ARRAY_TASK_MAX"] = "2",
        });
        Assert.True(third.ExitCode == 0, third.StdErr);
        Assert.True(File.Exists(Path.Combine(output, "part-3-of-3.parquet")), third.StdErr);

        // The merge names the missing shard and writes nothing.
        var incomplete = await EegDannProcess.RunAsync("evaluate", "merge", output, "--report", dir.File("report"));
        Assert.Equal(ExitCodes.BadInput, incomplete.ExitCode);
        Assert.Contains("missing shard 2/3 (no part-2-of-3.parquet)", incomplete.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("report")));

        // Rerun the dead shard (its features now come from the cache the others wrote), then merge.
        var rerun = await EegDannProcess.RunAsync(Evaluate("--shard", "2/3", "--out", output));
        Assert.True(rerun.ExitCode == 0, rerun.StdErr);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(output, "features"), "*.features.parquet"));
        var merged = await EegDannProcess.RunAsync("evaluate", "merge", output, "--report", dir.File("report"), "--json");
        Assert.True(merged.ExitCode == 0, merged.StdErr);

        var unsharded = await whole;
        Assert.True(unsharded.ExitCode == 0, unsharded.StdErr);
        var expected = WithoutTimings(unsharded.StdOut);
        var actual = WithoutTimings(merged.StdOut);
        Assert.Equal(24, expected["rows"]!.AsArray().Count);
        Assert.Equal(expected["rows"]!.ToJsonString(), actual["rows"]!.ToJsonString());
        Assert.Equal(expected["summary"]!.ToJsonString(), actual["summary"]!.ToJsonString());
        Assert.Equal(expected.ToJsonString(), actual.ToJsonString());
        Assert.True(File.Exists(Path.Combine(dir.File("report"), "evaluation.md")));
        Assert.True(File.Exists(Path.Combine(dir.File("report"), "evaluation.json")));

        // A part copied in twice is named with the units it repeats.
        File.Copy(Path.Combine(output, "part-1-of-3.parquet"), Path.Combine(output, "part-1-of-2.parquet"));
        var twice = await EegDannProcess.RunAsync("evaluate", "merge", output);
        Assert.Equal(ExitCodes.BadInput, twice.ExitCode);
        Assert.Contains("more than once: unit 0 (S001 <- S002,S003,S004, K = 0, ea_source_only, seed 0) in part-1-of-2.parquet and part-1-of-3.parquet", twice.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStoppedShardKeepsTheRunsItFinishedAndTheSameCommandComputesOnlyTheRestGivingTheSameRows()
    {
        using var dir = TestData.NewTemporaryDirectory();

        // Long enough runs (about a second each) for SIGTERM to land while the second one trains.
        string pipeline = await SmallPipeline(dir, epochs: 150);
        string output = dir.File("out");
        string[] Evaluate(string folder) =>
            ["evaluate", "--pipeline", pipeline, "--data", TestData.RecordingsDirectory, "--methods", .. Methods, "--seeds", "0", "--target-labeled", "0,2", "--out", folder];

        var stopped = await EegDannProcess.RunAndSignalAsync(Evaluate(output), when: "Fold S00", signal: "TERM");
        Assert.True(stopped.ExitCode == ExitCodes.Cancelled, stopped.StdErr);
        string journal = Path.Combine(output, "part-1-of-1.runs");
        int kept = Directory.GetFiles(journal, "run-*.parquet").Length;
        Assert.InRange(kept, 1, 7);
        Assert.Contains($"stopped; {kept} of 8 runs are kept in {journal}", stopped.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("nothing was written", stopped.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "part-1-of-1.parquet")));

        // What a kill -9 mid-write leaves, and a kept run under another run's name: deleted, not trusted.
        string temporary = Path.Combine(journal, ".run-5.parquet.4242.0123abcd.tmp");
        await File.WriteAllTextAsync(temporary, "half a file");
        int other = Enumerable.Range(0, 8).First(j => !File.Exists(Path.Combine(journal, $"run-{j}.parquet")));
        File.Copy(Directory.GetFiles(journal, "run-*.parquet")[0], Path.Combine(journal, $"run-{other}.parquet"));

        var resumed = await EegDannProcess.RunAsync(Evaluate(output));
        Assert.True(resumed.ExitCode == 0, resumed.StdErr);
        Assert.Contains($"deleted {temporary} (not one of this shard's runs)", resumed.StdErr, StringComparison.Ordinal);
        Assert.Contains($"deleted {Path.Combine(journal, $"run-{other}.parquet")} (its units are not the run's); that run is computed again", resumed.StdErr, StringComparison.Ordinal);
        Assert.Contains($"{kept} of 8 runs were finished by an earlier attempt", resumed.StdErr, StringComparison.Ordinal);
        Assert.Equal(8 - kept, resumed.StdErr.Split('\n').Count(l => l.Contains("] Fold S00", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(journal));

        // The same rows as a run that was never stopped.
        var whole = await EegDannProcess.RunAsync(Evaluate(dir.File("whole")));
        Assert.True(whole.ExitCode == 0, whole.StdErr);
        var expected = await EegDannProcess.RunAsync("evaluate", "merge", dir.File("whole"), "--json");
        var actual = await EegDannProcess.RunAsync("evaluate", "merge", output, "--json");
        Assert.True(actual.ExitCode == 0, actual.StdErr);
        Assert.Equal(24, WithoutTimings(expected.StdOut)["rows"]!.AsArray().Count);
        Assert.Equal(WithoutTimings(expected.StdOut)["rows"]!.ToJsonString(), WithoutTimings(actual.StdOut)["rows"]!.ToJsonString());

        // Without --out nothing is kept, and the message says how to keep it.
        var plain = await EegDannProcess.RunAndSignalAsync(Evaluate(output)[..^2], when: "Fold S00", signal: "TERM");
        Assert.True(plain.ExitCode == ExitCodes.Cancelled, plain.StdErr);
        Assert.Contains("nothing was written (with --out DIR an evaluation keeps the runs it finishes", plain.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AShardWithoutAnOutputFolderOrWithABadSplitIsRefusedNamingTheOption()
    {
        var noOut = await EegDannProcess.RunAsync("evaluate", "--pipeline", Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json"), "--data", TestData.RecordingsDirectory, "--shard", "1/3");
        Assert.Equal(ExitCodes.BadInput, noOut.ExitCode);
        Assert.Contains("--shard 1/3: give --out DIR", noOut.StdErr, StringComparison.Ordinal);

        var bad = await EegDannProcess.RunAsync("evaluate", "--pipeline", Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json"), "--data", TestData.RecordingsDirectory, "--shard", "4/3", "--out", "/tmp/unused");
        Assert.Equal(ExitCodes.BadInput, bad.ExitCode);
        Assert.Contains("shard 4 of 3 does not exist", bad.StdErr, StringComparison.Ordinal);
    }

    /// <summary>The evaluate JSON without the fields that measure time or count shared networks.</summary>
    private static JsonObject WithoutTimings(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Remove("total_seconds");
        node.Remove("load_seconds");
        node.Remove("networks_trained");
        return node;
    }

    private static async Task<string> SmallPipeline(TemporaryDirectory dir, int epochs = 4)
    {
        var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json")))!;
        json["training"]!["epochs"] = epochs;
        json["training"]!["ensemble"] = 2;
        string path = dir.File("small.json");
        await File.WriteAllTextAsync(path, json.ToJsonString());
        return path;
    }

    /// <summary>
    /// Starts the tool and kill -9s it one second in, while it is still loading the recordings (about
    /// 2 s here; its units then take well under a second, so waiting for a line it prints, as this
    /// test first did, raced with its end and sometimes found it finished).
    /// </summary>
    private static async Task KillMidRunAsync(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "eegdann.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var exited = process.WaitForExitAsync();
        var done = await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(1)));
        Assert.True(done != exited, $"the shard ended before it could be killed:\n{stderr}");
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-KILL", process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        await process.WaitForExitAsync();
        Assert.Equal(137, process.ExitCode);
    }
}
