using System.Text.Json;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>
/// <c>eegdann bench --quick</c>: the result's shape and sanity (positive times, p50 ≤ p99, the
/// machine named), never its timings; the PyTorch part is either measured or null with a reason.
/// </summary>
public sealed class BenchCommandTests
{
    /// <summary>
    /// How long <c>bench --quick</c> may take: it decodes, replays, times training steps (and PyTorch's, when
    /// present) and calibrates a pair, about 21 s of CPU (34 s wall alone at load average 14 on 2 cores,
    /// 2026-12-06). Beside the rest of the suite at load 10+ it gets a small share of a core, so the usual
    /// 2 minutes measured the machine, not the command; 10 minutes still stops a hung run.
    /// </summary>
    private static readonly TimeSpan QuickBenchTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task QuickBenchPrintsOneJsonObjectWithPositiveNumbersAndWritesTheSameToOutFile()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string file = Path.Combine(dir.Path, "bench.json");
        var run = await EegDannProcess.RunAsync(["bench", "--quick", "--json", "--out-file", file, "--repository", TestData.RepositoryRoot], null, QuickBenchTimeout);
        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(run.StdOut);
        var root = json.RootElement;
        AssertSane(root);

        var step = root.GetProperty("train_step_ms");
        if (step.GetProperty("pytorch").ValueKind == JsonValueKind.Null)
        {
            Assert.False(string.IsNullOrWhiteSpace(step.GetProperty("reason").GetString()));
        }
        else
        {
            Assert.True(step.GetProperty("pytorch").GetDouble() > 0);
            Assert.True(step.GetProperty("pytorch_over_eegdann").GetDouble() > 0);
            Assert.False(step.TryGetProperty("reason", out _));
        }

        using var written = JsonDocument.Parse(await File.ReadAllTextAsync(file));
        Assert.Equal(root.GetRawText(), written.RootElement.GetRawText());
        Assert.Equal([file], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task WithoutPythonThePyTorchStepIsNullWithAReasonAndTheRestIsMeasured()
    {
        string missing = Path.Combine(Path.GetTempPath(), "eegdann-no-such-dir", "python3");
        var run = await EegDannProcess.RunAsync(["bench", "--quick", "--json", "--python", missing, "--repository", TestData.RepositoryRoot], null, QuickBenchTimeout);
        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(run.StdOut);
        AssertSane(json.RootElement);
        var step = json.RootElement.GetProperty("train_step_ms");
        Assert.Equal(JsonValueKind.Null, step.GetProperty("pytorch").ValueKind);
        Assert.Equal(JsonValueKind.Null, step.GetProperty("pytorch_over_eegdann").ValueKind);
        Assert.Contains(missing, step.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARunOutlivingItsTimeoutIsKilledAndNamedInsteadOfLeftRunning()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            EegDannProcess.RunAsync(["bench", "--quick", "--json", "--repository", TestData.RepositoryRoot], null, TimeSpan.FromSeconds(1)));
        Assert.StartsWith("eegdann bench --quick --json --repository ", error.Message, StringComparison.Ordinal);
        Assert.Contains("did not exit within", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARepositoryWithoutTheShippedFilesIsNamedAndExits2()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var run = await EegDannProcess.RunAsync("bench", "--quick", "--json", "--repository", dir.Path);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("s002.eegdann", run.StdErr + run.StdOut, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.StdOut.Trim());
    }

    private static void AssertSane(JsonElement root)
    {
        var decode = root.GetProperty("decode_latency_ms");
        double p50 = decode.GetProperty("p50").GetDouble(), p99 = decode.GetProperty("p99").GetDouble();
        Assert.True(p50 > 0 && p50 <= p99, $"p50 {p50}, p99 {p99}");
        Assert.True(decode.GetProperty("windows").GetInt64() > 0);
        Assert.True(root.GetProperty("replay_realtime_factor").GetDouble() > 0);
        Assert.Equal(1.0, root.GetProperty("replay").GetProperty("batch_agreement").GetDouble());
        Assert.True(root.GetProperty("train_step_ms").GetProperty("eegdann").GetDouble() > 0);
        Assert.True(root.GetProperty("calibrate_pair_s").GetDouble() > 0);
        var machine = root.GetProperty("machine");
        Assert.Equal(Environment.ProcessorCount, machine.GetProperty("cores").GetInt32());
        foreach (string name in new[] { "cpu_model", "os", "dotnet" })
        {
            Assert.False(string.IsNullOrWhiteSpace(machine.GetProperty(name).GetString()), name);
        }

        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(3, machine.GetProperty("load_average_start").GetArrayLength());
            Assert.Equal(3, machine.GetProperty("load_average_end").GetArrayLength());
        }

        Assert.True(root.GetProperty("quick").GetBoolean());
    }
}
