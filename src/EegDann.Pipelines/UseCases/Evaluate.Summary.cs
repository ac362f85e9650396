// The evaluate use case's summary: from the rows (of a whole run or of merged shards) to the per-method
// means, paired comparisons, learning curve and holdout checks.
using EegDann.Pipelines.Calibration;

namespace EegDann.Pipelines.UseCases;

public static partial class Evaluate
{
    /// <summary>
    /// The result of an evaluation from its rows: the per-method summary, paired comparisons, the
    /// learning curve and holdout checks. The whole run and a merge of its shards both end here, so
    /// the same rows give the same summary and report.
    /// </summary>
    internal static EvaluationResult Summarise(EvaluationDescription run, IReadOnlyList<EvaluationRow> rows, double seconds, double loadSeconds, int networks)
    {
        var methods = run.Methods.Select(CalibrationMethod.Parse).ToArray();
        var counts = run.LabeledCounts;
        var targets = run.Targets;
        var mainRows = rows.Where(r => r.TargetLabeled == counts[0]).ToArray();
        var summary = methods.ToDictionary(
            m => m.Name,
            m =>
            {
                var values = mainRows.Where(r => r.Method == m.Name).Select(r => r.Accuracy).ToArray();
                var seedMeans = run.Seeds.ToDictionary(s => s, s => mainRows.Where(r => r.Method == m.Name && r.Seed == s).Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average());
                return new MethodSummary(values.Average(), Sd(values), seedMeans) { Interval = Statistics.MeanInterval(PerTarget(mainRows, m.Name, targets)) };
            },
            StringComparer.Ordinal);
        return new EvaluationResult(
            run.Pipeline,
            run.Protocol,
            targets,
            run.Methods,
            run.DefaultMethod,
            run.Seeds,
            counts[0],
            rows,
            summary,
            seconds,
            loadSeconds,
            networks)
        {
            ClassNames = run.ClassNames,
            LabeledCounts = counts,
            HoldoutPerClass = run.HoldoutPerClass,
            SourceSubjects = run.SourceSubjects,
            Runs = (run.SourceRuns, run.TargetRuns),
            Comparisons = Comparisons(methods, CalibrationMethod.Parse(run.DefaultMethod), mainRows, targets, summary),
            LearningCurve = methods.SelectMany(m => counts.Select(k =>
            {
                var at = rows.Where(r => r.Method == m.Name && r.TargetLabeled == k).ToArray();
                var values = at.Select(r => r.Accuracy).ToArray();
                return new CurvePoint(m.Name, k, values.DefaultIfEmpty(double.NaN).Average(), Sd(values), Statistics.MeanInterval(PerTarget(at, m.Name, targets)));
            })).ToArray(),
            HoldoutChecks = run.HoldoutPerClass == 0 ? [] : methods.Select(m =>
            {
                var at = mainRows.Where(r => r.Method == m.Name && double.IsFinite(r.Accuracy) && double.IsFinite(r.HoldoutAccuracy)).ToArray();
                return new HoldoutCheck(
                    m.Name,
                    at.Select(r => r.HoldoutAccuracy).DefaultIfEmpty(double.NaN).Average(),
                    at.Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average(),
                    at.Select(r => Math.Abs(r.HoldoutAccuracy - r.Accuracy)).DefaultIfEmpty(double.NaN).Average(),
                    at.Length == 0 ? double.NaN : at.Count(r => Statistics.Wilson(r.HoldoutAccuracy, r.HoldoutEpochs).Contains(r.Accuracy)) / (double)at.Length);
            }).ToArray(),
        };
    }

    /// <summary>Per target, the mean accuracy of <paramref name="method"/> over its rows (seeds, and sources for pairs).</summary>
    internal static double[] PerTarget(IEnumerable<EvaluationRow> rows, string method, IReadOnlyList<string> targets)
    {
        var byTarget = rows.Where(r => r.Method == method).GroupBy(r => r.Target).ToDictionary(g => g.Key, g => g.Average(r => r.Accuracy), StringComparer.Ordinal);
        return targets.Select(t => byTarget.GetValueOrDefault(t, double.NaN)).ToArray();
    }

    /// <summary>The default against its no-adaptation twin, and against the best cross-subject classic baseline (by mean), when they were run.</summary>
    private static PairedComparison[] Comparisons(IReadOnlyList<CalibrationMethod> methods, CalibrationMethod own, IReadOnlyList<EvaluationRow> rows, IReadOnlyList<string> targets, IReadOnlyDictionary<string, MethodSummary> summary)
    {
        var names = methods.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        if (!names.Contains(own.Name))
        {
            return [];
        }

        var baselines = new List<string>();
        if (own.NoAdaptationTwin is { } twin && names.Contains(twin.Name) && twin.Name != own.Name)
        {
            baselines.Add(twin.Name);
        }

        // The best cross-subject classic baseline: a within-subject method reads the target's labels.
        var classic = methods.Where(m => m.IsClassic && !m.WithinSubject).OrderByDescending(m => summary[m.Name].Mean).ThenBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault();
        if (classic != null)
        {
            baselines.Add(classic.Name);
        }

        return baselines.Select(b => Statistics.Compare(own.Name, b, targets, PerTarget(rows, own.Name, targets), PerTarget(rows, b, targets))).ToArray();
    }

    private static double Sd(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
    }
}
