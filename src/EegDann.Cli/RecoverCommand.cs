using System.CommandLine;
using EegDann.Recordings;
using EegDann.Recordings.Parquet;
using Serilog;

namespace EegDann.Cli;

/// <summary><c>eegdann recover PART...</c>: completes recordings whose writer died (NAME.parquet.part → NAME.parquet).</summary>
public static class RecoverCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var parts = new Argument<FileInfo[]>("PART")
        {
            Description = "Part files (NAME.parquet.part) left by a session recorder or lsl record that did not finish.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("recover", "Turn part files left by a crash into complete recordings, keeping every row group that reached the disk.");
        command.Arguments.Add(parts);
        command.SetAction(async (parse, cancellationToken) =>
        {
            int failed = 0;
            foreach (var part in parse.GetValue(parts)!)
            {
                try
                {
                    var summary = await RecordingPartWriter.RecoverAsync(part.FullName, cancellationToken);
                    Log.Information("Recovered {Part} as {Output}: {Samples} samples ({Seconds:F1} s), {Events} events",
                        part.FullName, summary.Path, summary.SampleCount, summary.SampleCount / summary.Info.SampleRateHz, summary.Events.Count);
                    string spill = SampleTimestampsSpill.PathFor(summary.Path);
                    if (File.Exists(spill))
                    {
                        // lsl record's time stamps, durable before each row group: one for every sample kept.
                        string timestamps = SampleTimestampsParquet.PathFor(summary.Path);
                        long written = await SampleTimestampsSpill.ToParquetAsync(spill, timestamps, summary.SampleCount, summary.Metadata.Extra, cancellationToken);
                        Log.Information("Recovered the time stamps of {Written} of its {Samples} samples as {Timestamps}", written, summary.SampleCount, timestamps);
                    }
                }
                catch (RecordingFormatException e)
                {
                    Log.Error("Not recovered: {Problem}", e.Message);
                    failed++;
                }
                catch (IOException e)
                {
                    Log.Error("Not recovered: {Part}: {Problem}", part.FullName, e.Message);
                    failed++;
                }
            }

            return failed == 0 ? ExitCodes.Success : ExitCodes.BadInput;
        });
        return command;
    }
}
