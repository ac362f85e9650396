using EegDann.Core;
using EegDann.Pipelines.Definitions;

namespace EegDann.Daemon.Calibration;

/// <summary>What the online calibrator asks the calibration use case for.</summary>
/// <param name="Subject">The subject being decoded (the target).</param>
/// <param name="Target">The subject's collected unlabeled signal, one recording per clean stretch.</param>
/// <param name="SourceRecordings">The labeled source recordings (<c>NAME.parquet</c> with events).</param>
/// <param name="Pipeline">The pipeline to train behind.</param>
/// <param name="Method">The training method, or null for the pipeline's own.</param>
/// <param name="Seed">The seed.</param>
/// <param name="OutputPath">Where the model file is to be written (atomically).</param>
public sealed record OnlineCalibrationRequest(
    string Subject,
    IReadOnlyList<Recording> Target,
    IReadOnlyList<string> SourceRecordings,
    PipelineDefinition Pipeline,
    string? Method,
    int Seed,
    string OutputPath);

/// <summary>What a calibration produced, with the training diagnostics the calibrator checks.</summary>
/// <param name="ModelPath">The model file written, or null when calibration failed.</param>
/// <param name="DomainAccuracy">Accuracy of the domain classifier telling source from target features at the end of training (near chance when they are domain-invariant), or null when the method has no domain classifier.</param>
/// <param name="SourceAccuracy">Accuracy on the labeled source at the end of training, or null when unknown.</param>
/// <param name="Failure">Why calibration failed, or null.</param>
public sealed record OnlineCalibrationResult(
    string? ModelPath,
    double? DomainAccuracy,
    double? SourceAccuracy,
    string? Failure)
{
    /// <summary>A failed calibration.</summary>
    public static OnlineCalibrationResult Failed(string why) => new(null, null, null, why);
}

/// <summary>
/// Adapts a model to a new subject from their unlabeled signal: the daemon's bridge to the
/// <c>calibrate-new-subject</c> use case (the daemon never trains by itself).
/// </summary>
public interface ISubjectCalibration
{
    /// <summary>Runs a calibration (long: minutes). Throwing is a failed calibration, never a daemon fault.</summary>
    Task<OnlineCalibrationResult> CalibrateAsync(OnlineCalibrationRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>Asks the online calibrator to calibrate now.</summary>
public interface ICalibrationTrigger
{
    /// <summary>Requests a calibration; false when the calibrator is off or already calibrating.</summary>
    bool Request(string why);
}
