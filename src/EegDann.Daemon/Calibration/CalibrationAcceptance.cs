using System.Globalization;
using EegDann.Daemon.Options;

namespace EegDann.Daemon.Calibration;

/// <summary>
/// The checks a calibrated model must pass before it replaces the model in use: the calibration
/// succeeded; the domain classifier is near chance (the features do not tell source from target);
/// the source accuracy has not collapsed; the target's windows are not all given one class.
/// </summary>
public static class CalibrationAcceptance
{
    /// <summary>Every reason to reject <paramref name="outcome"/>; empty when it is acceptable.</summary>
    /// <param name="outcome">What the calibration reported.</param>
    /// <param name="targetClassShares">Share of the subject's collected windows the new model gives each class (<see cref="TargetPredictions"/>).</param>
    /// <param name="options">The thresholds.</param>
    public static IReadOnlyList<string> Problems(OnlineCalibrationResult outcome, IReadOnlyDictionary<string, double> targetClassShares, CalibratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(targetClassShares);
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (outcome.Failure != null || outcome.ModelPath is null)
        {
            problems.Add("calibration failed: " + (outcome.Failure ?? "no model was written"));
            return problems;
        }

        if (outcome.DomainAccuracy is not { } domain)
        {
            problems.Add("the calibration reports no domain accuracy (the method has no domain classifier)");
        }
        else if (domain > options.MaxDomainAccuracy)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"domain accuracy {domain:0.###} is above {options.MaxDomainAccuracy:0.###}: source and target features remain distinguishable"));
        }

        if (outcome.SourceAccuracy is not { } source)
        {
            problems.Add("the calibration reports no source accuracy");
        }
        else if (source < options.MinSourceAccuracy)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"source accuracy {source:0.###} is below {options.MinSourceAccuracy:0.###}: the classifier collapsed"));
        }

        if (targetClassShares.Count == 0)
        {
            problems.Add("the new model made no prediction on the collected signal");
        }
        else
        {
            var (name, share) = targetClassShares.MaxBy(p => p.Value);
            if (share > options.MaxClassShare)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{share:P0} of the target's windows are '{name}' (more than {options.MaxClassShare:P0}): the model predicts one class"));
            }
        }

        return problems;
    }
}
