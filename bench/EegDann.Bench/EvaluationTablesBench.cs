using System.Globalization;
using System.Text;
using System.Text.Json;
using EegDann.Pipelines.Calibration;

namespace EegDann.Bench;

/// <summary>
/// Prints the README's evaluation tables from report files (<c>evaluation.json</c> written by
/// <c>eegdann evaluate --report DIR</c>), so that no number in the README is typed by hand:
/// <c>evaluation-tables table DIR</c> (per target, all methods, mean ± sd, the 95% interval of the
/// mean and the seed means), <c>paired DIR</c>, <c>curve DIR</c>, and <c>ablation DIR_WITHOUT
/// DIR_WITH</c> (each method with and without a change, paired over targets).
/// </summary>
public sealed class EvaluationTablesBench : IBench
{
    /// <inheritdoc />
    public string Name => "evaluation-tables";

    /// <inheritdoc />
    public string Description => "README tables from evaluate's report files: table|paired|curve DIR, ablation DIR_WITHOUT DIR_WITH";

    /// <inheritdoc />
    public Task<int> RunAsync(BenchContext context, string[] args)
    {
        if (args.Length < 2 || (args[0] == "ablation" && args.Length < 3))
        {
            Console.Error.WriteLine("usage: evaluation-tables table|paired|curve DIR | ablation DIR_WITHOUT DIR_WITH");
            return Task.FromResult(2);
        }

        string text = args[0] switch
        {
            "table" => Table(Report.Read(args[1])),
            "paired" => Paired(Report.Read(args[1])),
            "curve" => Curve(Report.Read(args[1])),
            "ablation" => Ablation(Report.Read(args[1]), Report.Read(args[2])),
            _ => throw new ArgumentException($"unknown table '{args[0]}'"),
        };
        Console.Write(text);
        return Task.FromResult(0);
    }

    private static string F(double v) => double.IsFinite(v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "–";

    private static string S(double v) => double.IsFinite(v) ? v.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture) : "–";

    /// <summary>Per target the mean over seeds of each method (first K), then mean ± sd over targets × seeds, the t-interval over targets and the seed means.</summary>
    private static string Table(Report report)
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
            double mean = v.Average();
            return $"**{F(mean)}** ± {F(Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length))}";
        })) + " |");
        md.AppendLine("| 95% interval of the mean | " + string.Join(" | ", report.Methods.Select(m =>
        {
            var i = Statistics.MeanInterval(report.PerTarget(m));
            return $"{F(i.Low)}–{F(i.High)}";
        })) + " |");
        if (report.Seeds.Count > 1)
        {
            md.AppendLine("| seed means | " + string.Join(" | ", report.Methods.Select(m => string.Join(" / ", report.Seeds.Select(s => F(rows.Where(r => r.Method == m && r.Seed == s).Average(r => r.Accuracy)))))) + " |");
        }

        return md.ToString();
    }

    /// <summary>The report's paired comparisons, recomputed from its rows.</summary>
    private static string Paired(Report report)
    {
        var comparisons = report.PairedNames.Select(p => Statistics.Compare(p.Method, p.Baseline, report.Targets, report.PerTarget(p.Method), report.PerTarget(p.Baseline))).ToArray();
        return EvaluationReport.PairedTable(comparisons);
    }

    /// <summary>The learning curve: every method at every K, mean ± sd over targets × seeds and the t-interval over targets.</summary>
    private static string Curve(Report report)
    {
        var md = new StringBuilder();
        md.AppendLine("| method | " + string.Join(" | ", report.Counts.Select(k => $"K = {k}")) + " | K = 5 − K = 0 (wins / losses) |");
        md.AppendLine("|---|" + string.Concat(report.Counts.Select(_ => "---:|")) + "---:|");
        foreach (var m in report.Methods)
        {
            var cells = report.Counts.Select(k =>
            {
                var v = report.Rows.Where(r => r.Method == m && r.TargetLabeled == k).Select(r => r.Accuracy).ToArray();
                double mean = v.Average();
                var i = Statistics.MeanInterval(report.PerTarget(m, k));
                return $"{F(mean)} ± {F(Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length))} ({F(i.Low)}–{F(i.High)})";
            });
            string gain = "–";
            if (report.Counts.Contains(5) && report.Counts.Contains(0))
            {
                var c = Statistics.Compare(m, m, report.Targets, report.PerTarget(m, 5), report.PerTarget(m, 0));
                gain = $"{S(c.MeanDifference)} ({c.Wins} / {c.Losses}, Wilcoxon p {c.WilcoxonP:0.###})";
            }

            md.AppendLine($"| {m} | {string.Join(" | ", cells)} | {gain} |");
        }

        return md.ToString();
    }

    /// <summary>Each method common to both reports: mean without and with, the paired difference over targets, wins and the Wilcoxon p.</summary>
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
            md.AppendLine($"| {m} | {F(b.Average())} | {F(a.Average())} | {S(c.MeanDifference)} ({S(c.DifferenceInterval.Low)} to {S(c.DifferenceInterval.High)}) | {c.Wins} / {c.Losses} | {c.SignTestP:0.###} | {c.WilcoxonP:0.###} |");
        }

        return md.ToString();
    }

    private sealed record Row(string Target, int Seed, string Method, double Accuracy, int TargetLabeled);

    private sealed class Report
    {
        public required IReadOnlyList<string> Methods { get; init; }

        public required IReadOnlyList<string> Targets { get; init; }

        public required IReadOnlyList<int> Seeds { get; init; }

        public required IReadOnlyList<int> Counts { get; init; }

        public required IReadOnlyList<Row> Rows { get; init; }

        public required IReadOnlyList<(string Method, string Baseline)> PairedNames { get; init; }

        public IReadOnlyList<Row> Main => Rows.Where(r => r.TargetLabeled == Counts[0]).ToArray();

        public double[] PerTarget(string method, int? k = null, IReadOnlyList<string>? targets = null)
        {
            int count = k ?? Counts[0];
            return (targets ?? Targets).Select(t => Rows.Where(r => r.Target == t && r.Method == method && r.TargetLabeled == count).Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average()).ToArray();
        }

        public static Report Read(string directory)
        {
            string path = Directory.Exists(directory) ? Path.Combine(directory, "evaluation.json") : directory;
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            var counts = root.TryGetProperty("target_labeled_curve", out var curve)
                ? curve.EnumerateArray().Select(v => v.GetInt32()).ToArray()
                : [root.GetProperty("target_labeled_per_class").GetInt32()];
            var rows = root.GetProperty("rows").EnumerateArray().Select(r => new Row(
                r.GetProperty("target").GetString()!,
                r.GetProperty("seed").GetInt32(),
                r.GetProperty("method").GetString()!,
                r.GetProperty("accuracy").ValueKind == JsonValueKind.Number ? r.GetProperty("accuracy").GetDouble() : double.NaN,
                r.TryGetProperty("target_labeled", out var k) ? k.GetInt32() : counts[0])).ToArray();
            var paired = root.TryGetProperty("paired", out var p)
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
