using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Calibration;

/// <summary>
/// The online calibrator's calibration in a child process: <c>eegdann calibrate-new-subject</c> with
/// the pipeline, the labeled source files and the subject's collected stretches (written as Parquet
/// recordings into a folder of their own beside the output, removed afterwards), training only the
/// chosen method. The training's collections then never stop the decoder's threads, and a crash of
/// the training (native code included) ends the child, not the daemon: it is a failed calibration,
/// the model in use stays.
/// </summary>
/// <param name="executable">The <c>eegdann</c> executable.</param>
/// <param name="nice">The child's nice value (0–19; above 0 it is started through <c>nice</c>).</param>
/// <param name="logger">The log (the child's own log lines go to it at debug level).</param>
internal sealed partial class ChildProcessSubjectCalibration(string executable, Func<int> nice, ILogger<ChildProcessSubjectCalibration> logger) : ISubjectCalibration
{
    private const int KeptLogLines = 20;

    /// <summary>The executable the child runs.</summary>
    public string Executable => executable;

    /// <inheritdoc />
    public async Task<OnlineCalibrationResult> CalibrateAsync(OnlineCalibrationRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string output = Path.GetFullPath(request.OutputPath);
        string inputs = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileNameWithoutExtension(output)}.inputs");
        Directory.CreateDirectory(inputs);
        try
        {
            string pipeline = Path.Combine(inputs, "pipeline.json");
            await File.WriteAllTextAsync(pipeline, request.Pipeline.Json, cancellationToken);
            var targets = new List<string>();
            for (int i = 0; i < request.Target.Count; i++)
            {
                string path = Path.Combine(inputs, string.Create(CultureInfo.InvariantCulture, $"target{i:000}.parquet"));
                await ParquetRecordingWriter.WriteAsync(request.Target[i], path, cancellationToken: cancellationToken);
                targets.Add(path);
            }

            var arguments = new List<string> { "calibrate-new-subject", "--pipeline", pipeline, "--source" };
            arguments.AddRange(request.SourceRecordings);
            arguments.Add("--target");
            arguments.AddRange(targets);
            arguments.AddRange(["--model", output, "--seed", request.Seed.ToString(CultureInfo.InvariantCulture), "--no-baselines", "--json"]);
            if (!string.IsNullOrWhiteSpace(request.Method))
            {
                arguments.AddRange(["--method", request.Method]);
            }

            return await RunAsync(arguments, output, cancellationToken);
        }
        finally
        {
            try
            {
                Directory.Delete(inputs, recursive: true);
            }
            catch (IOException e)
            {
                LogInputsLeft(inputs, e.Message);
            }
            catch (UnauthorizedAccessException e)
            {
                LogInputsLeft(inputs, e.Message);
            }
        }
    }

    private async Task<OnlineCalibrationResult> RunAsync(List<string> arguments, string output, CancellationToken cancellationToken)
    {
        int niceValue = Math.Clamp(nice(), 0, 19);
        var start = new ProcessStartInfo
        {
            FileName = niceValue > 0 && File.Exists("/usr/bin/nice") ? "/usr/bin/nice" : executable,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (start.FileName != executable)
        {
            start.ArgumentList.Add("-n");
            start.ArgumentList.Add(niceValue.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add(executable);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        var lastLines = new Queue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            LogChildLine(e.Data);
            lock (lastLines)
            {
                lastLines.Enqueue(e.Data);
                if (lastLines.Count > KeptLogLines)
                {
                    lastLines.Dequeue();
                }
            }
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return OnlineCalibrationResult.Failed($"the calibration process ({executable}) could not be started: {e.Message}");
        }

        LogStarted(process.Id, executable, niceValue);
        process.BeginErrorReadLine();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw;
        }

        string json = await stdout;
        if (process.ExitCode != 0)
        {
            string tail;
            lock (lastLines)
            {
                tail = string.Join(" | ", lastLines.Where(l => l.Contains("ERR]", StringComparison.Ordinal) || l.Contains("FTL]", StringComparison.Ordinal)).DefaultIfEmpty(lastLines.LastOrDefault() ?? "no output"));
            }

            string how = process.ExitCode > 128 ? string.Create(CultureInfo.InvariantCulture, $"code {process.ExitCode} (signal {process.ExitCode - 128})") : string.Create(CultureInfo.InvariantCulture, $"code {process.ExitCode}");
            return OnlineCalibrationResult.Failed($"the calibration process ended with {how}: {tail}");
        }

        JsonObject? report;
        try
        {
            report = JsonNode.Parse(json) as JsonObject;
        }
        catch (System.Text.Json.JsonException e)
        {
            return OnlineCalibrationResult.Failed($"the calibration process wrote no readable report: {e.Message}");
        }

        if (report is null || !File.Exists(output))
        {
            return OnlineCalibrationResult.Failed($"the calibration process ended without {(report is null ? "a report" : "the model file " + output)}");
        }

        var (domain, source) = UseCaseSubjectCalibration.LastEpoch(report);
        return new OnlineCalibrationResult(output, domain, source, null);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Calibration process {ProcessId} started: {Executable} at nice {Nice}")]
    private partial void LogStarted(int processId, string executable, int nice);

    [LoggerMessage(Level = LogLevel.Debug, Message = "calibration process: {Line}")]
    private partial void LogChildLine(string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The calibration's input folder {Folder} could not be removed: {Reason}")]
    private partial void LogInputsLeft(string folder, string reason);
}

/// <summary>Chooses where the online calibrator trains (<see cref="Options.CalibratorOptions.Command"/>).</summary>
internal static class SubjectCalibrations
{
    /// <summary>The calibration the settings ask for.</summary>
    public static ISubjectCalibration Create(Options.CalibratorOptions options, SourceRuntime runtime, UseCaseSubjectCalibration inProcess, ILoggerFactory loggers)
    {
        string? executable = Executable(options.Command, Environment.ProcessPath);
        return executable is null
            ? inProcess
            : new ChildProcessSubjectCalibration(executable, () => CalibratorService.TrainingNice(runtime.RealtimeControlPath), loggers.CreateLogger<ChildProcessSubjectCalibration>());
    }

    /// <summary>The eegdann executable to train in, or null to train in the daemon's process.</summary>
    internal static string? Executable(string? command, string? processPath)
    {
        if (command == Options.CalibratorOptions.InProcess)
        {
            return null;
        }

        if (!string.IsNullOrWhiteSpace(command))
        {
            return Path.GetFullPath(command);
        }

        string? name = processPath is null ? null : Path.GetFileNameWithoutExtension(processPath);
        return string.Equals(name, "eegdann", StringComparison.Ordinal) ? processPath : null;
    }
}
