using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;
using EegDann.Recordings;
using EegDann.Recordings.Import;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Logging;

namespace EegDann.Pipelines.UseCases;

/// <summary>What <c>export-features</c> is asked to do.</summary>
/// <param name="PipelinePath">The pipeline file.</param>
/// <param name="Recordings">Recordings: EegDann Parquet (<c>NAME.parquet</c> with its events file) or EDF/BDF/GDF.</param>
/// <param name="OutputPath">The feature file to write (<c>.parquet</c>).</param>
public sealed record ExportFeaturesRequest(string PipelinePath, IReadOnlyList<string> Recordings, string OutputPath);

/// <summary>What <c>export-features</c> wrote.</summary>
/// <param name="OutputPath">The file written.</param>
/// <param name="Rows">Epochs (rows).</param>
/// <param name="Features">Feature columns.</param>
/// <param name="Subjects">Distinct subjects.</param>
/// <param name="Skipped">Cues whose epoch could not be cut, one line each.</param>
public sealed record ExportFeaturesResult(string OutputPath, int Rows, int Features, int Subjects, IReadOnlyList<string> Skipped);

/// <summary>A request that cannot be carried out because of its input (a file, a setting); the message names it.</summary>
public sealed class ExportInputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// <c>eegdann export-features</c>: cuts the pipeline's epochs out of recordings, computes their
/// features, and writes one row per epoch (subject, recording, start_sample, label, one column per
/// feature) to a Parquet file, atomically — researchers take EegDann's features into their own tools.
/// </summary>
/// <remarks>
/// Data-dependent steps are fitted on the exported recordings themselves: Euclidean alignment per
/// subject on that subject's epochs (no labels), CSP on the labels of all exported epochs,
/// tangent-space reference and standardisation on all exported epochs. For cross-subject studies
/// export the unfitted features (log-variance, band power, covariance) or mind that leakage.
/// </remarks>
public static class ExportFeatures
{
    /// <summary>Runs the export.</summary>
    /// <exception cref="ExportInputException">When the pipeline or a recording is unusable (named in the message); nothing is written.</exception>
    public static async Task<ExportFeaturesResult> RunAsync(ExportFeaturesRequest request, ILogger logger, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(logger);
        if (request.Recordings.Count == 0)
        {
            throw new ExportInputException("no recordings given.");
        }

        PipelineDefinition definition;
        try
        {
            definition = PipelineDefinitionLoader.Load(request.PipelinePath);
        }
        catch (PipelineDefinitionException e)
        {
            throw new ExportInputException(e.Message, e);
        }

        if (!definition.FeatureSteps.Any())
        {
            throw new ExportInputException($"{request.PipelinePath}: pipeline '{definition.Name}' has no feature steps to export.");
        }

        string? directory = Path.GetDirectoryName(Path.GetFullPath(request.OutputPath));
        if (directory is null || !Directory.Exists(directory))
        {
            throw new ExportInputException($"{request.OutputPath}: the output directory does not exist.");
        }

        var signal = SignalPipeline.Create(definition);
        logger.LogInformation("Exporting features of pipeline {Pipeline} from {RecordingCount} recordings to {Output}", definition.Name, request.Recordings.Count, request.OutputPath);
        var perRecording = new List<EpochSet>();
        var recordingsBySubject = new Dictionary<string, List<Recording>>(StringComparer.Ordinal);
        var skipped = new List<string>();
        for (int i = 0; i < request.Recordings.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string path = request.Recordings[i];
            progress?.Report(new WorkProgress("export-features", i, request.Recordings.Count, Path.GetFileName(path)));
            var recording = await ReadAsync(path, cancellationToken);
            if (InputProblems.FirstNonFinite(recording) is { } nonFinite)
            {
                throw new ExportInputException($"{path}: {nonFinite}");
            }

            string name = RecordingName(path);
            RecordingEpochs epochs;
            try
            {
                epochs = signal.ExtractEpochs(recording, name);
            }
            catch (Exception e) when (InputProblems.IsDataProblem(e))
            {
                throw new ExportInputException($"{path}: {e.Message}", e);
            }

            foreach (var line in epochs.Skipped)
            {
                logger.LogWarning("Skipped {Cue}", line);
            }

            skipped.AddRange(epochs.Skipped);
            logger.LogInformation("{Recording}: subject {Subject}, {Epochs} epochs", name, recording.Metadata.Subject, epochs.Epochs.Count);
            perRecording.Add(epochs.Epochs);
            if (!recordingsBySubject.TryGetValue(recording.Metadata.Subject, out var list))
            {
                recordingsBySubject[recording.Metadata.Subject] = list = [];
            }

            if (definition.Alignment?.Reference == AlignmentReference.Windows || StandardizesOnWindows(definition))
            {
                list.Add(recording);
            }
        }

        var bySubject = perRecording.GroupBy(s => s.Subject, StringComparer.Ordinal).Select(g => EpochSet.Concat(g.ToArray())).ToArray();
        if (bySubject.Sum(s => s.Count) == 0)
        {
            throw new ExportInputException($"no epochs: none of the recordings has events the pipeline maps ({definition.Paradigm.DescribeEvents()}) with a complete epoch.");
        }

        if (definition.FeatureSteps.Any(s => s.NeedsLabels))
        {
            logger.LogWarning("Step csp is fitted on the labels of the exported epochs themselves");
        }

        FittedPipeline fitted;
        try
        {
            Dictionary<string, AlignmentFit>? alignments = null;
            if (definition.Alignment?.Reference == AlignmentReference.Windows)
            {
                alignments = recordingsBySubject.ToDictionary(p => p.Key, p => FeaturePipeline.FitAlignmentOnWindows(signal, p.Key, p.Value), StringComparer.Ordinal);
            }

            fitted = FeaturePipeline.Fit(signal, bySubject, alignments: alignments, recordings: StandardizesOnWindows(definition) ? recordingsBySubject.ToDictionary(p => p.Key, p => (IReadOnlyList<Recording>)p.Value, StringComparer.Ordinal) : null);
        }
        catch (Exception e) when (InputProblems.IsDataProblem(e))
        {
            throw new ExportInputException($"{request.PipelinePath}: cannot fit pipeline '{definition.Name}' on these recordings: {e.Message}", e);
        }

        var table = FeatureTable.Concat(perRecording.Select(set => FeaturePipeline.Transform(definition, fitted, set)).ToArray());
        await FeatureTableParquet.WriteAsync(
            table,
            request.OutputPath,
            new Dictionary<string, string>
            {
                ["eegdann.pipeline"] = definition.Json,
                ["eegdann.fitted"] = fitted.ToJson(),
            },
            cancellationToken);
        progress?.Report(new WorkProgress("export-features", request.Recordings.Count, request.Recordings.Count, "written"));
        logger.LogInformation("Wrote {Rows} epochs × {Features} features of {Subjects} subjects to {Output}", table.RowCount, table.FeatureCount, bySubject.Length, request.OutputPath);
        return new ExportFeaturesResult(request.OutputPath, table.RowCount, table.FeatureCount, bySubject.Length, skipped);
    }

    /// <summary>The recording's name in the rows: the file name without <c>.parquet</c> / <c>.edf</c>….</summary>
    public static string RecordingName(string path) => Path.GetFileNameWithoutExtension(path);

    private static async Task<Recording> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new ExportInputException($"{path}: no such file.");
        }

        try
        {
            return path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)
                ? await ParquetRecordingReader.ReadAsync(path, cancellationToken)
                : RecordingImporter.Read(path, cancellationToken: cancellationToken);
        }
        catch (RecordingFormatException e)
        {
            throw new ExportInputException(e.Message, e);
        }
    }

    /// <summary>Whether the pipeline standardises each subject on the windows of its recordings (then every subject's recordings are kept for the fit).</summary>
    private static bool StandardizesOnWindows(PipelineDefinition definition) =>
        definition.Standardization is { Per: StandardizationScope.Subject, Reference: AlignmentReference.Windows };
}
