using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EegDann.Pipelines.Calibration;

/// <summary>
/// The documentation's evaluation tables, computed from report files (the <c>evaluation.json</c> that
/// <c>eegdann evaluate --report DIR</c> writes), so that no number in docs/evaluation.md is typed by
/// hand. Four kinds: <c>table</c> (per target, every method, the mean ± sd over targets × seeds, the
/// 95% interval of the mean and the seed means; <c>--no-interval</c> leaves the interval row out, as
/// the earlier tables were published), <c>paired</c> (the report's paired comparisons), <c>curve</c>
/// (the learning curve), <c>ablation</c> (each method with and without a change, paired over
/// targets; two reports) and <c>versus</c> (paired comparisons of methods that may come from
/// different reports: 2N reports and <c>--methods=A,B,…</c> naming one method per report, row i
/// compares report 2i's method with report 2i+1's; <c>NAME@LABEL</c> shows the label beside the
/// name, e.g. which report it came from). Pure: the caller reads the files.
/// </summary>
public static class EvaluationTables
{
    /// <summary>The kinds of table, in the order of the usage line.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["table", "paired", "curve", "ablation", "versus"];

    /// <summary>The option of <c>versus</c> that names one method per report: <c>--methods=A,B,…</c>.</summary>
    public const string MethodsOption = "--methods=";

    /// <summary>The option that leaves the 95% interval row out of a <c>table</c>.</summary>
    public const string NoInterval = "--no-interval";

    /// <summary>Renders one table as Markdown (lines ending in a newline).</summary>
    /// <param name="kind">One of <see cref="Kinds"/>.</param>
    /// <param name="reports">The report directories' <c>evaluation.json</c> texts: one, or two for <c>ablation</c> (without, then with).</param>
    /// <param name="options">Options: <see cref="NoInterval"/> for <c>table</c>.</param>
    /// <exception cref="ArgumentException">An unknown kind or option, or the wrong number of reports.</exception>
    public static string Render(string kind, IReadOnlyList<string> reports, IReadOnlyList<string>? options = null)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(reports);
        options ??= [];
        int expected = kind == "ablation" ? 2 : 1;
        if (!Kinds.Contains(kind))
        {
            throw new ArgumentException($"unknown table '{kind}' (known: {string.Join(", ", Kinds)})", nameof(kind));
        }

        if (kind == "versus")
        {
            var names = options.Count == 1 && options[0].StartsWith(MethodsOption, StringComparison.Ordinal)
                ? options[0][MethodsOption.Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : throw new ArgumentException($"table 'versus' needs one option {MethodsOption}A,B,… (one method per report)", nameof(options));
            if (reports.Count < 2 || reports.Count % 2 != 0 || names.Length != reports.Count)
            {
                throw new ArgumentException($"table 'versus' reads an even number of reports (two per row) and one method per report; got {reports.Count} report(s) and {names.Length} method(s)", nameof(reports));
            }

            return Versus(reports.Select(Report.Parse).ToArray(), names);
        }

        if (reports.Count != expected)
        {
            throw new ArgumentException($"table '{kind}' reads {expected} report(s), not {reports.Count}", nameof(reports));
        }

        foreach (var option in options)
        {
            if (option != NoInterval || kind != "table")
            {
                throw new ArgumentException($"table '{kind}': unknown option '{option}'" + (kind == "table" ? $" (known: {NoInterval})" : ""), nameof(options));
            }
        }

        return kind switch
        {
            "table" => Table(Report.Parse(reports[0]), interval: !options.Contains(NoInterval)),
            "paired" => Paired(Report.Parse(reports[0])),
            "curve" => Curve(Report.Parse(reports[0])),
            _ => Ablation(Report.Parse(reports[0]), Report.Parse(reports[1])),
        };
    }

    internal static string F(double v) => EvaluationReport.Format(v);

    private static string S(double v) => EvaluationReport.Signed(v);

    internal static double Sd(double[] v)
    {
        double mean = v.Average();
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
    }

    private static string Table(Report report, bool interval)
    {
        var md = new StringBuilder();
        var rows = report.Main;
        md.AppendLine("| target | " + string.Join(" | ", report.Methods) + " |");
        md.AppendLine("|---|" + string.Concat(report.Methods.Select(_ => "---:|")));
        foreach (var t in report.Targets)
        {
            md.AppendLine($"| {t} | " + string.Join(" | ", report.Methods.Select(m => F(rows.Where(r => r.Target == t && r.Method == m).Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average()))) + " |");
        }

        md.AppendLine("| **mean ± sd** | " + string.Join(" | ", report.Methods.Select(m =>
        {
            var v = rows.Where(r => r.Method == m).Select(r => r.Accuracy).ToArray();
            return $"**{F(v.Average())}** ± {F(Sd(v))}";
        })) + " |");
        if (interval)
        {
            md.AppendLine("| 95% interval of the mean | " + string.Join(" | ", report.Methods.Select(m =>
            {
                var i = Statistics.MeanInterval(report.PerTarget(m));
                return $"{F(i.Low)}–{F(i.High)}";
            })) + " |");
        }

        if (report.Seeds.Count > 1)
        {
            md.AppendLine("| seed means | " + string.Join(" | ", report.Methods.Select(m => string.Join(" / ", report.Seeds.Select(s => F(rows.Where(r => r.Method == m && r.Seed == s).Average(r => r.Accuracy)))))) + " |");
        }

        return md.ToString();
    }

    private static string Paired(Report report)
    {
        var comparisons = report.PairedNames.Select(p => Statistics.Compare(p.Method, p.Baseline, report.Targets, report.PerTarget(p.Method), report.PerTarget(p.Baseline))).ToArray();
        return EvaluationReport.PairedTable(comparisons);
    }

    private static string Curve(Report report)
    {
        var md = new StringBuilder();
        md.AppendLine("| method | " + string.Join(" | ", report.Counts.Select(k => $"K = {k}")) + " |");
        md.AppendLine("|---|" + string.Concat(report.Counts.Select(_ => "---:|")));
        foreach (var m in report.Methods)
        {
            var cells = report.Counts.Select(k =>
            {
                var v = report.Rows.Where(r => r.Method == m && r.TargetLabeled == k).Select(r => r.Accuracy).ToArray();
                return $"{F(v.Average())} ± {F(Sd(v))} {EvaluationReport.Range(Statistics.MeanInterval(report.PerTarget(m, k)))}";
            });
            md.AppendLine($"| {m} | {string.Join(" | ", cells)} |");
        }

        return md.ToString();
    }

    private static string Ablation(Report without, Report with)
    {
        var md = new StringBuilder();
        var targets = without.Targets.Intersect(with.Targets).ToArray();
        md.AppendLine("| method | without | with | difference (95% interval) | wins / losses | sign test p | Wilcoxon p |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var m in without.Methods.Where(with.Methods.Contains))
        {
            var a = with.PerTarget(m, targets: targets);
            var b = without.PerTarget(m, targets: targets);
            var c = Statistics.Compare(m, m, targets, a, b);
            md.AppendLine(CultureInfo.InvariantCulture, $"| {m} | {F(b.Average())} | {F(a.Average())} | {S(c.MeanDifference)} ({S(c.DifferenceInterval.Low)} to {S(c.DifferenceInterval.High)}) | {c.Wins} / {c.Losses} | {c.SignTestP:0.###} | {c.WilcoxonP:0.###} |");
        }

        return md.ToString();
    }

    private static string Versus(Report[] reports, string[] names)
    {
        var comparisons = new List<PairedComparison>();
        for (int i = 0; i < reports.Length; i += 2)
        {
            var (a, labelA) = Named(reports[i], names[i]);
            var (b, labelB) = Named(reports[i + 1], names[i + 1]);
            var targets = reports[i].Targets.Intersect(reports[i + 1].Targets).ToArray();
            comparisons.Add(Statistics.Compare(labelA, labelB, targets, reports[i].PerTarget(a, targets: targets), reports[i + 1].PerTarget(b, targets: targets)));
        }

        return EvaluationReport.PairedTable(comparisons);

        static (string Method, string Label) Named(Report report, string name)
        {
            int at = name.IndexOf('@', StringComparison.Ordinal);
            string method = at < 0 ? name : name[..at];
            return report.Methods.Contains(method)
                ? (method, at < 0 ? method : $"{method} ({name[(at + 1)..]})")
                : throw new ArgumentException($"a report of table 'versus' has no method '{method}' (it has {string.Join(", ", report.Methods)})", nameof(name));
        }
    }

    internal sealed record Row(string Target, int Seed, string Method, double Accuracy, int TargetLabeled);

    internal sealed class Report
    {
        public required IReadOnlyList<string> Methods { get; init; }

        public required IReadOnlyList<string> Targets { get; init; }

        public required IReadOnlyList<int> Seeds { get; init; }

        public required IReadOnlyList<int> Counts { get; init; }

        public required IReadOnlyList<Row> Rows { get; init; }

        public required IReadOnlyList<(string Method, string Baseline)> PairedNames { get; init; }

        public Row[] Main => Rows.Where(r => r.TargetLabeled == Counts[0]).ToArray();

        public double[] PerTarget(string method, int? k = null, IReadOnlyList<string>? targets = null)
        {
            int count = k ?? Counts[0];
            return (targets ?? Targets).Select(t => Rows.Where(r => r.Target == t && r.Method == method && r.TargetLabeled == count).Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average()).ToArray();
        }

        public static Report Parse(string evaluationJson)
        {
            using var json = JsonDocument.Parse(evaluationJson);
            var root = json.RootElement;
            int[] counts = root.TryGetProperty("target_labeled_curve", out var curve)
                ? curve.EnumerateArray().Select(v => v.GetInt32()).ToArray()
                : [root.GetProperty("target_labeled_per_class").GetInt32()];
            var rows = root.GetProperty("rows").EnumerateArray().Select(r => new Row(
                r.GetProperty("target").GetString()!,
                r.GetProperty("seed").GetInt32(),
                r.GetProperty("method").GetString()!,
                r.GetProperty("accuracy").ValueKind == JsonValueKind.Number ? r.GetProperty("accuracy").GetDouble() : double.NaN,
                r.TryGetProperty("target_labeled", out var k) ? k.GetInt32() : counts[0])).ToArray();
            (string, string)[] paired = root.TryGetProperty("paired", out var p)
                ? p.EnumerateArray().Select(c => (c.GetProperty("method").GetString()!, c.GetProperty("baseline").GetString()!)).ToArray()
                : [];
            return new Report
            {
                Methods = root.GetProperty("methods").EnumerateArray().Select(v => v.GetString()!).ToArray(),
                Targets = rows.Select(r => r.Target).Distinct().Order(StringComparer.Ordinal).ToArray(),
                Seeds = root.GetProperty("seeds").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
                Counts = counts,
                Rows = rows,
                PairedNames = paired,
            };
        }
    }
}
