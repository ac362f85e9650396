using EegDann.Core;
using EegDann.Pipelines.Definitions;

namespace EegDann.Daemon.Calibration;

/// <summary>What the online calibrator asks the calibration use case for.</summary>
/// <param name="Subject">The subject being decoded (the target).</param>
/// <param name="Target">The subject's collected unlabeled signal, one recording per clean stretch.</param>
/// <param name="SourceRecordings">The labeled source recordings (<c>NAME.parquet</c> with events).</param>
/// <param name="Pipeline">The pipeline to train behind.</param>
/// <param name="Method">The training method, or null for the use case's default.</param>
/// <param name="Seed">The seed.</param>
/// <param name="OutputPath">Where the model file is to be written (atomically).</param>
public sealed record CalibrationRequest(
    string Subject,
    IReadOnlyList<Recording> Target,
    IReadOnlyList<string> SourceRecordings,
    PipelineDefinition Pipeline,
    string? Method,
    int Seed,
    string OutputPath);

/// <summary>What a calibration produced, with the diagnostics the calibrator checks.</summary>
/// <param name="ModelPath">The model file written, or null when calibration failed.</param>
/// <param name="DomainAccuracy">Accuracy of the domain classifier on source vs target features (near 0.5 when they are domain-invariant), or null when unknown.</param>
/// <param name="SourceAccuracy">Accuracy on the labeled source, or null when unknown.</param>
/// <param name="TargetClassShares">Share of the target's windows predicted as each class.</param>
/// <param name="Failure">Why calibration failed, or null.</param>
public sealed record CalibrationOutcome(
    string? ModelPath,
    double? DomainAccuracy,
    double? SourceAccuracy,
    IReadOnlyDictionary<string, double> TargetClassShares,
    string? Failure);

/// <summary>
/// Adapts a model to a new subject from their unlabeled signal: the daemon's bridge to the
/// <c>calibrate-new-subject</c> use case (the daemon never trains by itself).
/// </summary>
public interface ISubjectCalibration
{
    /// <summary>Runs a calibration (long: minutes). Throwing is a failed calibration, never a daemon fault.</summary>
    Task<CalibrationOutcome> CalibrateAsync(CalibrationRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>Asks the online calibrator to calibrate now.</summary>
public interface ICalibrationTrigger
{
    /// <summary>Requests a calibration; false when the calibrator is off or already calibrating.</summary>
    bool Request(string why);
}
