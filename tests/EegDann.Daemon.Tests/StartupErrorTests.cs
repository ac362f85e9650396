using EegDann.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Tests;

/// <summary>What the daemon says when it cannot start: the user's mistakes name the setting key (exit 2); bugs are not dressed up as settings.</summary>
public sealed class StartupErrorTests
{
    private static bool Names(DaemonRun run, string text) =>
        run.Logs.Lines.Any(l => l.Level == LogLevel.Critical && l.Message.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task NoSourceStopsTheStartNamingDaemonAcquisitionSource()
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings.Remove("Daemon:Acquisition:Source");

        using var run = await DaemonRunner.RunAsync(settings);

        run.AssertExit(DaemonExitCode.BadInput);
        Assert.True(Names(run, "Daemon:Acquisition:Source is not set: choose Replay, Tcp, Synthetic or Lsl"), string.Join("\n", run.Logs.Lines));
    }

    [Fact]
    public async Task AnUnknownSourceStopsTheStartNamingTheKeyAndTheValue()
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Acquisition:Source"] = "Tcpp";

        using var run = await DaemonRunner.RunAsync(settings);

        run.AssertExit(DaemonExitCode.BadInput);
        Assert.True(Names(run, "'Daemon:Acquisition:Source'"), string.Join("\n", run.Logs.Lines));
    }

    [Fact]
    public async Task AGeneratedValidationFailureIsPrefixedWithItsSettingKey()
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Buffers:Windows"] = "0";

        using var run = await DaemonRunner.RunAsync(settings);

        run.AssertExit(DaemonExitCode.BadInput);
        Assert.True(Names(run, "Daemon:Buffers:Windows: "), string.Join("\n", run.Logs.Lines));
    }

    [Fact]
    public async Task AMissingModelFileStopsTheStartWithoutARunSummary()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), dir.File("missing.eegdann"));

        using var run = await DaemonRunner.RunAsync(settings);

        run.AssertExit(DaemonExitCode.BadInput);
        Assert.True(Names(run, "Daemon:Decoder:ModelPath cannot be loaded: "), string.Join("\n", run.Logs.Lines));
        Assert.True(Names(run, "missing.eegdann"), string.Join("\n", run.Logs.Lines));
        Assert.DoesNotContain(run.Logs.Lines, l => l.Message.Contains("Daemon summary", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AReplayedFileThatCannotBeReadStopsTheStartWithoutARunSummaryAndTheStagesDrain()
    {
        // The source is the last service to start: the stages before it are running when it fails.
        using var dir = TestData.NewTemporaryDirectory();
        var settings = DaemonRunner.Replay(dir.File("missing.parquet"), TestModels.S001ToS002);

        using var run = await DaemonRunner.RunAsync(settings);

        run.AssertExit(DaemonExitCode.BadInput);
        Assert.True(Names(run, "Daemon:Replay:Path cannot be replayed: "), string.Join("\n", run.Logs.Lines));
        Assert.True(Names(run, "missing.parquet"), string.Join("\n", run.Logs.Lines));
        Assert.DoesNotContain(run.Logs.Lines, l => l.Message.Contains("Daemon summary", StringComparison.Ordinal));
        // The source never ran, yet its channel was completed: the control thread stopped when asked
        // instead of holding the stop until the shutdown budget ran out.
        Assert.True(run.Get<DaemonPipes>().Acquired.Reader.Completion.IsCompleted);
    }

    [Fact]
    public async Task ACompletedRunStillEndsWithItsSummary()
    {
        using var run = await DaemonRunner.RunAsync(DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002));

        run.AssertExit(DaemonExitCode.Success);
        Assert.Contains(run.Logs.Lines, l => l.Message.StartsWith("Daemon summary: 19680 samples", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnArgumentExceptionFromAStartingServiceIsABugNotABadSetting()
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => DaemonRunner.RunAsync(settings, services => services.AddHostedService<FailsToStart>()));

        Assert.Equal("a bug in a service", e.Message);
    }

    /// <summary>A hosted service whose start has a bug.</summary>
    private sealed class FailsToStart : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => throw new ArgumentException("a bug in a service");

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
