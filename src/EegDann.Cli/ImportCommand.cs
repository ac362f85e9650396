using System.CommandLine;
using EegDann.Dsp.Resampling;
using EegDann.Recordings.Import;
using Serilog;

namespace EegDann.Cli;

/// <summary><c>eegdann import INPUT... --out DIR [--subject S] [--stream NAME] [--rate HZ] [--channels A,B]</c>: EDF/BDF/GDF, XDF and BrainVision files to Parquet recordings.</summary>
public static class ImportCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var inputs = new Argument<FileInfo[]>("INPUT")
        {
            Description = "EDF, EDF+, BDF, BDF+, GDF 2.x, XDF (LabRecorder) files or BrainVision headers (.vhdr, beside their .vmrk and .eeg).",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Folder for DIR/<input name>.parquet and DIR/<input name>.events.parquet (created if missing).",
            Required = true,
        };
        var subject = new Option<string?>("--subject") { Description = "Subject of every input (default: the EDF+ patient code, else the file-name prefix, S001R04 → S001)." };
        var stream = new Option<string?>("--stream") { Description = "XDF: the stream to import as the recording, by name (default: the first stream of type EEG). Marker streams become events." };
        var rate = new Option<double?>("--rate") { Description = "The recording's rate in Hz (default: the highest rate among the kept channels). Channels at another rate, e.g. slow sensors in a clinical EDF, are resampled (polyphase FIR) and listed in the metadata." };
        var channels = new Option<string[]>("--channels")
        {
            Description = "Keep only these channels, in this order (labels, comma-separated or repeated), e.g. to leave out slow sensors instead of resampling them.",
            AllowMultipleArgumentsPerToken = true,
        };
        var salvage = new Option<bool>("--salvage") { Description = "Import what a file cut short holds (a recording interrupted by a crash, a power cut or a full disk): the complete EDF/BDF/GDF data records, XDF chunks or multiplexed BrainVision samples before the cut; the metadata ('salvaged') and the log say what was lost. Without it such a file is refused." };
        var rowGroupSeconds = new Option<double>("--row-group-seconds")
        {
            Description = "Seconds of samples per Parquet row group.",
            DefaultValueFactory = _ => Recordings.Parquet.ParquetRecordingWriter.DefaultRowGroupSeconds,
        };
        var command = new Command("import", "Import EEG files as Parquet recordings (samples in µV + events). One bad input does not stop the others; exit code 2 if any failed.");
        command.Arguments.Add(inputs);
        command.Options.Add(output);
        command.Options.Add(subject);
        command.Options.Add(stream);
        command.Options.Add(rate);
        command.Options.Add(channels);
        command.Options.Add(rowGroupSeconds);
        command.Options.Add(salvage);
        command.SetAction(async (parse, cancellationToken) =>
        {
            double seconds = parse.GetValue(rowGroupSeconds);
            if (!double.IsFinite(seconds) || seconds <= 0)
            {
                Log.Error("--row-group-seconds must be a positive number of seconds, got {Seconds}", seconds);
                return ExitCodes.BadInput;
            }

            var files = parse.GetValue(inputs)!.Select(f => f.FullName).ToList();
            // A regular file where the folder or one of its parents should be is refused before this
            // runs (OptionConventions.Check: every output is checked writable).
            var outDir = parse.GetValue(output)!.FullName;
            try
            {
                Directory.CreateDirectory(outDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.Error("--out {Output}: cannot create the output folder: {Problem}", outDir, e.Message);
                return ExitCodes.BadInput;
            }

            var channelList = parse.GetValue(channels)?.SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
            var options = new ImportOptions
            {
                Subject = parse.GetValue(subject),
                Stream = parse.GetValue(stream),
                RateHz = parse.GetValue(rate),
                Channels = channelList is { Length: > 0 } ? channelList : null,
                Resampler = new WholeSignalResampler(),
                RowGroupSeconds = seconds,
                Salvage = parse.GetValue(salvage),
            };
            var results = await ProgressDisplay.RunAsync("import", progress => RecordingImporter.ImportAsync(files, outDir, options, progress, cancellationToken));
            foreach (var result in results)
            {
                if (result.Summary is { } r)
                {
                    Log.Information("Imported {Input} to {Output}: {Channels} channels, {Samples} samples at {RateHz} Hz ({Seconds:F1} s), {Events} events, subject {Subject}",
                        result.Input, result.Output, r.Info.ChannelCount, r.SampleCount, r.Info.SampleRateHz, r.SampleCount / r.Info.SampleRateHz, r.Events.Count, r.Metadata.Subject);
                    if (r.Metadata.Extra.TryGetValue("salvaged", out var lost))
                    {
                        Log.Warning("Salvaged {Input}: {Loss}", result.Input, lost);
                    }
                }
                else if (!result.Stopped)
                {
                    Log.Error("Not imported: {Problem}", result.Error);
                }
            }

            int failed = results.Count(r => !r.Succeeded);
            if (cancellationToken.IsCancellationRequested)
            {
                int stopped = results.Count(r => r.Stopped);
                Log.Warning("Stopped (SIGTERM or Ctrl-C): {Imported} of {Total} inputs were imported (listed above, complete); {Stopped} were not written{Failed}", results.Count - failed, results.Count, stopped, failed > stopped ? $" and {failed - stopped} failed (above)" : string.Empty);
                return ExitCodes.Cancelled;
            }

            if (failed > 0)
            {
                Log.Error("{Failed} of {Total} inputs failed; nothing was written for them", failed, results.Count);
                return ExitCodes.BadInput;
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
