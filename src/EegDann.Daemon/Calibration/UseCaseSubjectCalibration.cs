using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.UseCases;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Calibration;

/// <summary>
/// The online calibrator's calibration: the <c>calibrate-new-subject</c> use case
/// (<see cref="CalibrateNewSubject"/>), given the labeled source files and the subject's collected
/// stretches in memory, training only the chosen method (no baselines). The model file and its
/// report are written beside each other; the diagnostics returned are the chosen method's last
/// training epoch (domain accuracy, source accuracy).
/// </summary>
internal sealed class UseCaseSubjectCalibration(ILogger<UseCaseSubjectCalibration> logger) : ISubjectCalibration
{
    /// <inheritdoc />
    public async Task<OnlineCalibrationResult> CalibrateAsync(OnlineCalibrationRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var useCase = new CalibrateRequest
        {
            Pipeline = request.Pipeline,
            Sources = request.SourceRecordings.Select(RecordingInput.FromPath).ToList(),
            Targets = request.Target.Select(r => RecordingInput.FromRecording(r, $"{r.Metadata.Subject} (online {r.Metadata.Run})")).ToList(),
            ModelPath = request.OutputPath,
            Method = request.Method,
            Seed = request.Seed,
            Baselines = false,
        };
        try
        {
            using var outcome = await CalibrateNewSubject.RunAsync(useCase, logger, progress, cancellationToken);
            var (domain, source) = LastEpoch(outcome.Report.Json);
            return new OnlineCalibrationResult(request.OutputPath, domain, source, null);
        }
        catch (Exception e) when (e is CalibrationInputException or CalibrationFailedException)
        {
            return OnlineCalibrationResult.Failed(e.Message);
        }
    }

    /// <summary>The chosen method's domain and source accuracy at its last training epoch, from the report.</summary>
    internal static (double? Domain, double? Source) LastEpoch(JsonObject report)
    {
        var chosen = report["methods"]?.AsArray().OfType<JsonObject>().FirstOrDefault(m => m["chosen"]?.GetValue<bool>() == true);
        var curves = chosen?["training_curves"] as JsonObject;
        return (Last(curves?["domain_accuracy"]), Last(curves?["source_accuracy"]));
    }

    private static double? Last(JsonNode? series)
    {
        if (series is not JsonArray { Count: > 0 } values || values[^1] is not JsonValue last)
        {
            return null;
        }

        // Non-finite values are written as null by the report.
        return last.TryGetValue(out double d) ? d : null;
    }
}
