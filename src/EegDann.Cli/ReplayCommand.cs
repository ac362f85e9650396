using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EegDann.Daemon.Options;
using EegDann.Daemon.Replay;
using EegDann.Recordings;
using EegDann.Recordings.Parquet;
using Serilog;
using Serilog.Extensions.Logging;

namespace EegDann.Cli;

/// <summary>
/// <c>eegdann replay RECORDING... --model MODEL [--speed X|max] [--out-file DECISIONS.parquet] [--json]</c>:
/// recordings through the daemon's own acquisition → window → decode path (no network), with
/// every decision compared with the batch path's.
/// </summary>
public static class ReplayCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var recordings = new Argument<FileInfo[]>("RECORDING") { Description = "Parquet recordings (NAME.parquet, with NAME.events.parquet for the cues), replayed one after the other.", Arity = ArgumentArity.OneOrMore };
        var model = new Option<FileInfo>("--model") { Description = "The model file (from calibrate-new-subject).", Required = true };
        var speed = new Option<string>("--speed") { Description = "Pace as a multiple of real time, or max (as fast as the path runs; each window decided as it is cut, as live).", DefaultValueFactory = _ => "max" };
        var output = new Option<FileInfo?>("--out-file") { Description = "Write every decision (with the batch path's command, the cue and the latency) to this Parquet file." }.WithDeprecatedAliases("replay");
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object on stdout." };
        var command = new Command("replay", "Replay recordings through the daemon's acquisition → window → decode path (no network): windows, decisions per command, accuracy on cued windows, agreement with the batch path, latency, times real time.");
        command.Arguments.Add(recordings);
        command.Options.Add(model);
        command.Options.Add(speed);
        command.Options.Add(output);
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string speedText = parse.GetValue(speed)!;
            double pace;
            if (string.Equals(speedText, "max", StringComparison.OrdinalIgnoreCase))
            {
                pace = 0;
            }
            else if (!double.TryParse(speedText, NumberStyles.Float, CultureInfo.InvariantCulture, out pace) || !(pace > 0 && pace <= 10000))
            {
                Log.Error("--speed '{Speed}': give a multiple of real time in (0, 10000] or max", speedText.Length > 40 ? speedText[..40] + "…" : speedText);
                return ExitCodes.BadInput;
            }

            var files = parse.GetValue(recordings)!;
            var missing = files.Where(f => !f.Exists).Select(f => f.FullName).ToArray();
            string modelPath = parse.GetValue(model)!.FullName;
            if (missing.Length > 0 || !File.Exists(modelPath))
            {
                foreach (string m in missing.Append(File.Exists(modelPath) ? null : modelPath).OfType<string>())
                {
                    Log.Error("{File}: no such file", m);
                }

                return ExitCodes.BadInput;
            }

            var outFile = parse.GetValue(output);
            if (outFile?.Directory is { Exists: false } dir)
            {
                Log.Error("--out-file {File}: the folder {Folder} does not exist", outFile.FullName, dir.FullName);
                return ExitCodes.BadInput;
            }

            ReplayReport report;
            double beforeReplay;
            using (var self = Process.GetCurrentProcess())
            {
                beforeReplay = (DateTime.Now - self.StartTime).TotalSeconds;
            }

            using var loggers = new SerilogLoggerFactory(Log.Logger);
            try
            {
                report = await RecordingReplay.RunAsync(new ReplaySettings(modelPath, files.Select(f => f.FullName).ToArray(), pace, new DecoderOptions()), loggers, cancellationToken);
            }
            catch (Exception e) when (e is RecordingFormatException or InvalidDataException or IOException)
            {
                Log.Error("{Problem}", e.Message);
                return ExitCodes.BadInput;
            }

            var summary = ReplaySummary.Of(report, speedText, beforeReplay + report.PreparationSeconds);
            if (outFile != null)
            {
                var rows = report.Recordings.SelectMany(r => r.Decisions).Select(d => new DecisionRow(d.Recording, d.EndSample, d.TimeMilliseconds, d.Command, d.Reason, d.Probabilities, d.BatchCommand, d.Cue, d.LatencyMilliseconds)).ToArray();
                await DecisionLogParquet.WriteAsync(rows, report.ClassNames, outFile.FullName, new Dictionary<string, string> { ["eegdann.model"] = report.ModelId }, cancellationToken);
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(summary.ToJson(), Json));
            }
            else
            {
                Print(summary);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void Print(ReplaySummary summary)
    {
        Console.Out.WriteLine($"model {summary.ModelId} ({summary.Pipeline}), speed {summary.Speed}");
        foreach (var r in summary.Parts.Append(summary.Total))
        {
            string decisions = string.Join(", ", r.Decisions.Select(p => $"{p.Key} {p.Value}"));
            string accuracy = r.Accuracy is { } a ? $"{a:F3} of {r.CuedWindows} cued windows" : "no cued windows";
            string agreement = r.BatchAgreement is { } b ? b.ToString("F4", CultureInfo.InvariantCulture) : $"— ({r.BatchNote})";
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Name} [{r.Alignment}]: {r.Windows} windows ({decisions}); accuracy {accuracy}; batch agreement {agreement}; latency p50 {r.LatencyP50:F3} ms, p99 {r.LatencyP99:F3} ms; {r.RealtimeFactor:F0}× real time ({r.RealtimeFactorCpu:F0}× per CPU second)"));
        }

        if (summary.StartupSeconds is { } startup)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"processing {summary.Total.WallSeconds:F3} s for {summary.Total.SignalSeconds:F1} s of signal ({summary.Total.RealtimeFactor:F0}× real time); start-up {startup:F2} s (runtime, model, warm-up; {summary.Total.SignalSeconds / (summary.Total.WallSeconds + startup):F0}× with it); batch comparison {summary.Total.ComparisonSeconds:F1} s"));
        }
    }
}
