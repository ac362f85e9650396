using System.Diagnostics;
using EegDann.Daemon.Calibration;
using EegDann.Daemon.Options;
using EegDann.Pipelines.Definitions;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Tests;

/// <summary>
/// The online calibrator's training in a child process (<c>eegdann calibrate-new-subject</c>): a
/// model and the last epoch's figures when it works; a failed calibration, never a stopped daemon,
/// when the child crashes; the child killed when the calibration is cancelled.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ChildProcessCalibrationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eegdann-child-calibration-").FullName;
    private readonly string _scripts = Directory.CreateTempSubdirectory("eegdann-child-scripts-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        Directory.Delete(_scripts, recursive: true);
    }

    [Fact]
    public async Task TheBuiltEegdannCalibratesInAChildProcessAndLeavesOnlyTheModelAndItsReport()
    {
        string executable = BuiltEegdann();
        var target = await ParquetRecordingReader.ReadAsync(TestModels.RecordingPath("S002", "R04"));
        var request = Request([target], Path.Combine(_dir, "S002_online.eegdann"));
        var calibration = new ChildProcessSubjectCalibration(executable, () => 0, NullLogger<ChildProcessSubjectCalibration>.Instance);

        var result = await calibration.CalibrateAsync(request, null, CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(request.OutputPath, result.ModelPath);
        Assert.True(File.Exists(request.OutputPath));
        Assert.InRange(result.SourceAccuracy!.Value, 0.5, 1.0);
        Assert.InRange(result.DomainAccuracy!.Value, 0.0, 1.0);
        // The collected stretches and the pipeline were written for the child and are gone.
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_dir), p => Path.GetFileName(p).StartsWith('.'));
        using var model = Models.DecoderModelLoader.Load(request.OutputPath);
        Assert.Equal(["left", "right"], model.ClassNames);
    }

    [Fact]
    public async Task ACrashOfTheCalibrationProcessIsAFailedCalibrationNamingTheSignal()
    {
        // A stand-in that dies as the training thread did once at real time (SIGSEGV in native code).
        string script = Script("crash.sh", "echo '[00:00:00 INF] training' >&2\nkill -SEGV $$\n");
        var calibration = new ChildProcessSubjectCalibration(script, () => 0, NullLogger<ChildProcessSubjectCalibration>.Instance);
        var target = await ParquetRecordingReader.ReadAsync(TestModels.RecordingPath("S002", "R04"));

        var result = await calibration.CalibrateAsync(Request([target], Path.Combine(_dir, "crashed.eegdann")), null, CancellationToken.None);

        Assert.Null(result.ModelPath);
        Assert.Contains("signal 11", result.Failure, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "crashed.eegdann")));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public async Task AFailedCalibrationGivesTheChildsErrorLines()
    {
        string script = Script("fails.sh", "echo '[00:00:00 INF] reading' >&2\necho '[00:00:01 ERR] the source has no left epochs' >&2\nexit 2\n");
        var calibration = new ChildProcessSubjectCalibration(script, () => 0, NullLogger<ChildProcessSubjectCalibration>.Instance);
        var target = await ParquetRecordingReader.ReadAsync(TestModels.RecordingPath("S002", "R04"));

        var result = await calibration.CalibrateAsync(Request([target], Path.Combine(_dir, "failed.eegdann")), null, CancellationToken.None);

        Assert.Equal("the calibration process ended with code 2: [00:00:01 ERR] the source has no left epochs", result.Failure);
    }

    [Fact]
    public async Task CancellingTheCalibrationKillsTheChild()
    {
        string pidFile = Path.Combine(_scripts, "child.pid");
        string script = Script("slow.sh", $"echo $$ > '{pidFile}'\nexec sleep 60\n");
        var calibration = new ChildProcessSubjectCalibration(script, () => 0, NullLogger<ChildProcessSubjectCalibration>.Instance);
        var target = await ParquetRecordingReader.ReadAsync(TestModels.RecordingPath("S002", "R04"));
        using var cancel = new CancellationTokenSource();

        var running = calibration.CalibrateAsync(Request([target], Path.Combine(_dir, "slow.eegdann")), null, cancel.Token);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(pidFile) || new FileInfo(pidFile).Length == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the child never started");
            await Task.Delay(20);
        }

        int pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.False(Directory.Exists(Path.Combine("/proc", pid.ToString(System.Globalization.CultureInfo.InvariantCulture))), $"process {pid} is still running");
    }

    [Theory]
    [InlineData("in-process", "/opt/eegdann/eegdann", null)]
    [InlineData("", "/opt/eegdann/eegdann", "/opt/eegdann/eegdann")] // the shipped daemon: itself
    [InlineData(null, "/usr/share/dotnet/dotnet", null)] // embedded in another host (tests, benches): in the process
    [InlineData("/opt/other/eegdann", "/usr/share/dotnet/dotnet", "/opt/other/eegdann")]
    public void TheSettingChoosesWhereTheTrainingRuns(string? command, string processPath, string? expected) =>
        Assert.Equal(expected, SubjectCalibrations.Executable(command, processPath));

    [Fact]
    public void ACommandThatIsNoFileIsRefusedBySettingsValidation()
    {
        var options = new CalibratorOptions { Enabled = true, SourceRecordings = ["a.parquet"], OutputDirectory = _dir, Command = Path.Combine(_dir, "no-such-eegdann") };
        var result = new CalibratorOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains("no-such-eegdann", result.FailureMessage, StringComparison.Ordinal);
    }

    private static OnlineCalibrationRequest Request(IReadOnlyList<Core.Recording> target, string output) => new(
        "S002",
        target,
        [TestModels.RecordingPath("S001", "R04"), TestModels.RecordingPath("S001", "R08")],
        PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json")),
        null,
        0,
        output);

    private string Script(string name, string body)
    {
        string path = Path.Combine(_scripts, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>The eegdann executable built from src/EegDann.Cli in the tests' own configuration (dotnet test on the solution builds it).</summary>
    private static string BuiltEegdann()
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string path = Path.Combine(TestData.RepositoryRoot, "src", "EegDann.Cli", "bin", configuration, "net10.0", "eegdann");
        Assert.True(File.Exists(path), $"{path} is not built: build the solution (dotnet test EegDann.sln builds it)");
        return path;
    }
}
