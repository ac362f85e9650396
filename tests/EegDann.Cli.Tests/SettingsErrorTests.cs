using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>A user's mistake in the settings is one clear line naming the option or key, exit code 2, and no stack trace.</summary>
public sealed class SettingsErrorTests
{
    private static readonly string Recording = Path.Combine(TestData.RecordingsDirectory, "S001R04.parquet");

    private static void AssertBadSetting(ToolRun run, params string[] expected)
    {
        Assert.True(run.ExitCode == ExitCodes.BadInput, $"exit {run.ExitCode}; stderr:\n{run.StdErr}");
        foreach (string text in expected)
        {
            Assert.Contains(text, run.StdErr, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingConfigFileIsABadSettingNamingTheOption()
    {
        using var dir = TestData.NewTemporaryDirectory();

        var run = await EegDannProcess.RunAsync("info", Recording, "--config", dir.File("nowhere.json"));

        AssertBadSetting(run, $"--config {dir.File("nowhere.json")}: no such file");
        Assert.Equal("", run.StdOut);
    }

    [Fact]
    public async Task AConfigFileThatIsNotJsonIsABadSettingNamingTheFile()
    {
        using var dir = TestData.NewTemporaryDirectory();
        await File.WriteAllTextAsync(dir.File("broken.json"), "{ \"Daemon\": { ");

        var run = await EegDannProcess.RunAsync("info", Recording, "--config", dir.File("broken.json"));

        AssertBadSetting(run, $"--config {dir.File("broken.json")}: cannot be read as settings");
    }

    [Fact]
    public async Task AnUnknownLogLevelIsABadSettingListingTheLevels()
    {
        var run = await EegDannProcess.RunAsync("info", Recording, "--log-level", "Loud");

        AssertBadSetting(run, "--log-level 'Loud' is not a log level", "Verbose, Debug, Information, Warning, Error, Fatal");
    }

    [Fact]
    public async Task AKnownLogLevelInAnyCaseIsAccepted()
    {
        var run = await EegDannProcess.RunAsync("info", Recording, "--log-level", "warning");

        Assert.True(run.ExitCode == ExitCodes.Success, run.StdErr);
    }

    [Fact]
    public async Task TheDaemonWithoutASourceNamesDaemonAcquisitionSourceAndPrintsNoSummary()
    {
        using var dir = TestData.NewTemporaryDirectory();

        var run = await EegDannProcess.RunAsync("daemon", "--model", dir.File("any.eegdann"));

        AssertBadSetting(run, "Daemon:Acquisition:Source is not set");
        Assert.DoesNotContain("Daemon summary", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDaemonWithAMissingModelFileNamesItAndPrintsNoSummary()
    {
        using var dir = TestData.NewTemporaryDirectory();

        var run = await EegDannProcess.RunAsync("daemon", "--synthetic", "--stdout", "--model", dir.File("missing.eegdann"));

        AssertBadSetting(run, dir.File("missing.eegdann"), "cannot read the model file");
        Assert.DoesNotContain("Daemon summary", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateOnCudaWithOnlyTheCpuRuntimeStopsWithExitCode2NamingTheOption()
    {
        var run = await EegDannProcess.RunAsync(
            "evaluate", "--pipeline", Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json"), "--data", TestData.RecordingsDirectory,
            "--methods", "source_only", "--device", "cuda:0");

        AssertBadSetting(run, "--device = 'cuda:0': CUDA is not available", "EegDannTorchRuntime=cuda");
    }

    [Fact]
    public async Task TheDaemonOnCudaWithOnlyTheCpuRuntimeStopsWithExitCode2NamingTheSetting()
    {
        using var dir = TestData.NewTemporaryDirectory();

        var run = await EegDannProcess.RunAsync(
            ["daemon", "--synthetic", "--stdout", "--model", dir.File("model.eegdann")],
            new Dictionary<string, string> { ["EEGDANN_Daemon__Decoder__Device"] = "cuda" });

        AssertBadSetting(run, "Daemon:Decoder:Device = 'cuda': CUDA is not available");
        Assert.DoesNotContain("Daemon summary", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDaemonRefusesADeviceSettingThatIsNotADevice()
    {
        var run = await EegDannProcess.RunAsync(
            ["daemon", "--synthetic", "--stdout", "--model", "unused.eegdann"],
            new Dictionary<string, string> { ["EEGDANN_Daemon__Decoder__Device"] = "gpu" });

        AssertBadSetting(run, "Daemon:Decoder:Device = 'gpu' is not a device");
    }

    [Fact]
    public void TheSystemdUnitRestartsOnFaultsAndBugsButNotOnBadSettings()
    {
        var lines = File.ReadAllLines(Path.Combine(TestData.RepositoryRoot, "deploy", "eegdann-daemon.service"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToArray();
        string Value(string key) => lines.Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

        // on-failure: any non-zero exit (3 = a fault, 70 = a bug) and an unclean signal restart the daemon; 0 does not.
        Assert.Equal("on-failure", Value("Restart"));
        Assert.Equal([ExitCodes.BadInput.ToString(System.Globalization.CultureInfo.InvariantCulture)], Value("RestartPreventExitStatus").Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.NotEqual(ExitCodes.BadInput, ExitCodes.Failed);
        Assert.NotEqual(ExitCodes.BadInput, ExitCodes.Internal);
        Assert.Equal(2, (int)Daemon.DaemonExitCode.BadInput);
        Assert.Equal(ExitCodes.Failed, (int)Daemon.DaemonExitCode.Fault);

        // A bug that fails every start must not restart forever: systemd gives up after a burst.
        Assert.True(int.Parse(Value("StartLimitBurst"), System.Globalization.CultureInfo.InvariantCulture) > 0);

        // The gen-0 budget is set, not derived from cache sizes a virtual machine may not expose (docs/daemon.md), in every deployment.
        Assert.Contains("Environment=DOTNET_GCgen0size=0x2000000", lines);
        Assert.Contains("Environment=DOTNET_GCgen0size=0x2000000", File.ReadAllLines(Path.Combine(TestData.RepositoryRoot, "deploy", "systemd", "eegdann@.service")).Select(l => l.Trim()));
        Assert.Contains("- { name: DOTNET_GCgen0size, value: \"0x2000000\" }", File.ReadAllLines(Path.Combine(TestData.RepositoryRoot, "deploy", "k8s", "decoder-deployment.yaml")).Select(l => l.Trim()));
    }
}
