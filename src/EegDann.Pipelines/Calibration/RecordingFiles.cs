using EegDann.Core;
using EegDann.Pipelines.Definitions;
using EegDann.Recordings;
using EegDann.Recordings.Import;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Logging;

namespace EegDann.Pipelines.Calibration;

/// <summary>Reading recordings for calibration and evaluation, and checking that they can be used; every problem names the file.</summary>
public static class RecordingFiles
{
    /// <summary>Cue epochs a labeled subject needs per class, at least.</summary>
    public const int MinimumEpochsPerClass = 5;

    /// <summary>
    /// Reads every recording of a directory (<c>NAME.parquet</c> beside <c>NAME.events.parquet</c>).
    /// When the pipeline's paradigm names runs (e.g. R04, R08, R12), recordings of other runs are
    /// left out (their cues may mean something else) and logged.
    /// </summary>
    /// <exception cref="CalibrationInputException">When the directory does not exist, holds no recordings, or a recording cannot be read.</exception>
    public static async Task<IReadOnlyList<(string Name, Recording Recording)>> ReadDirectoryAsync(string directory, PipelineDefinition definition, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(logger);
        if (!Directory.Exists(directory))
        {
            throw new CalibrationInputException($"{directory}: no such directory.");
        }

        var files = Directory.EnumerateFiles(directory, "*.parquet")
            .Where(f => !f.EndsWith(".events.parquet", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
        {
            throw new CalibrationInputException($"{directory}: no Parquet recordings (NAME.parquet with NAME.events.parquet); import EDF/BDF/GDF files with 'eegdann import' first.");
        }

        var result = new List<(string, Recording)>();
        foreach (var file in files)
        {
            var recording = await ReadAsync(file, cancellationToken);
            var runs = definition.Paradigm.AllRuns;
            if (runs.Count > 0 && recording.Metadata.Run is { } run && !runs.Contains(run, StringComparer.OrdinalIgnoreCase))
            {
                logger.LogInformation("Skipping {Recording}: run {Run} is not one of the paradigm's runs ({Runs})", Path.GetFileName(file), run, string.Join(", ", runs));
                continue;
            }

            result.Add((file, recording));
        }

        return result.Count > 0
            ? result
            : throw new CalibrationInputException($"{directory}: none of the {files.Length} recordings is of the paradigm's runs ({string.Join(", ", definition.Paradigm.AllRuns)}).");
    }

    /// <summary>Reads one recording: EegDann Parquet (with its events file) or EDF/BDF/GDF.</summary>
    /// <exception cref="CalibrationInputException">When it does not exist or cannot be read; the message names it.</exception>
    public static async Task<Recording> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new CalibrationInputException($"{path}: no such file.");
        }

        try
        {
            return path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)
                ? await ParquetRecordingReader.ReadAsync(path, cancellationToken)
                : RecordingImporter.Read(path, cancellationToken: cancellationToken);
        }
        catch (RecordingFormatException e)
        {
            throw new CalibrationInputException(e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new CalibrationInputException($"{path}: cannot read the recording: {e.Message}", e);
        }
    }

    /// <summary>
    /// Checks that a subject can be a labeled source (or a scored target): cue epochs of every class,
    /// at least <see cref="MinimumEpochsPerClass"/> each, and more than <paramref name="targetLabeledPerClass"/>.
    /// </summary>
    /// <exception cref="CalibrationInputException">Naming the subject's recordings, the classes and their counts.</exception>
    public static void CheckLabeled(SubjectData subject, PipelineDefinition definition, int targetLabeledPerClass = 0)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(definition);
        string files = string.Join(", ", subject.Recordings);
        if (!subject.HasCues)
        {
            throw new CalibrationInputException(
                $"{files}: subject {subject.Subject} has no cue events the pipeline maps ({definition.Paradigm.DescribeEvents()}) with a complete epoch; labeled recordings are needed here.");
        }

        var counts = subject.ClassCounts;
        int needed = Math.Max(MinimumEpochsPerClass, targetLabeledPerClass + 1);
        var short_ = definition.ClassNames.Where(c => counts.GetValueOrDefault(c) < needed).ToArray();
        if (short_.Length > 0)
        {
            throw new CalibrationInputException(
                $"{files}: subject {subject.Subject} has too few epochs per class ({string.Join(", ", definition.ClassNames.Select(c => $"{c}: {counts.GetValueOrDefault(c)}"))}); at least {needed} of each are needed" +
                (targetLabeledPerClass > 0 ? $" ({targetLabeledPerClass} labeled for training and at least one to score)." : "."));
        }
    }
}
