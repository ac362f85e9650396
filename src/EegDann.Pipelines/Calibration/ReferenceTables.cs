using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EegDann.Pipelines.Calibration;

/// <summary>
/// The tables of the evaluation page that come from the Python scripts beside the product (in
/// <c>bench/python</c> and <c>../shared/peers</c>; never run by it): <c>adversary</c>, the domain
/// adversary diagnostic (<c>bench/python/adversary_diagnostic.py</c>'s JSON), and <c>reference</c>,
/// the Python reference's leave-one-subject-out run (<c>mi_reference.py</c>'s JSON lines) beside an
/// EegDann evaluation report of the same protocol.
/// </summary>
public static class ReferenceTables
{
    /// <summary>The kinds of table.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["adversary", "reference"];

    /// <summary>The diagnostic's feature sets, in the table's order, with their labels.</summary>
    private static readonly (string Key, string Label)[] FeatureSets =
    [
        ("raw", "as recorded (imagery)"),
        ("ea", "EA (imagery)"),
        ("ea_subject", "EA, each subject's features z-scored with its own statistics (imagery)"),
        ("ea+executed", "EA (imagery + the sources' executed runs)"),
        ("ea_subject+executed", "EA, z-scored per subject (imagery + executed)"),
    ];

    /// <summary>The reference's methods, their labels and EegDann's method of the same design.</summary>
    private static readonly (string Key, string Label, string Method)[] ReferenceMethods =
    [
        ("csp_lda", "CSP+LDA", "csp_lda"),
        ("ea_csp_lda", "EA+CSP+LDA", "ea_csp_lda"),
        ("mlp", "MLP", "source_only"),
        ("ea_mlp", "EA+MLP", "ea_source_only"),
        ("dann", "DANN", "dann"),
        ("ea_dann", "EA+DANN", "ea_dann"),
    ];

    /// <summary>Renders one table as Markdown (lines ending in a newline).</summary>
    /// <param name="kind">One of <see cref="Kinds"/>.</param>
    /// <param name="inputs">The files' texts: for <c>adversary</c> the diagnostic's JSON; for <c>reference</c> the reference's JSON lines, then EegDann's <c>evaluation.json</c>.</param>
    /// <exception cref="ArgumentException">An unknown kind, the wrong number of inputs, or an input that is not what the kind reads.</exception>
    public static string Render(string kind, IReadOnlyList<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(inputs);
        int expected = kind switch
        {
            "adversary" => 1,
            "reference" => 2,
            _ => throw new ArgumentException($"unknown table '{kind}' (known: {string.Join(", ", Kinds)})", nameof(kind)),
        };
        if (inputs.Count != expected)
        {
            throw new ArgumentException($"table '{kind}' reads {expected} file(s), not {inputs.Count}", nameof(inputs));
        }

        try
        {
            return kind == "adversary" ? Adversary(inputs[0]) : Reference(inputs[0], inputs[1]);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"table '{kind}': {e.Message}", nameof(inputs), e);
        }
    }

    private static string Adversary(string json)
    {
        using var document = JsonDocument.Parse(json);
        var loso = document.RootElement.GetProperty("loso");
        var md = new StringBuilder();
        md.AppendLine("| features (sources) | source-only × 5 | DANN × 5 | DANN − source-only | wins / losses |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (key, label) in FeatureSets)
        {
            var set = loso.GetProperty(key);
            var difference = set.GetProperty("dann_minus_source_only");
            md.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {EvaluationTables.F(set.GetProperty("source_only_x5").GetProperty("mean").GetDouble())} | {EvaluationTables.F(set.GetProperty("dann_x5").GetProperty("mean").GetDouble())} | {EvaluationReport.Signed(difference.GetProperty("mean").GetDouble())} | {difference.GetProperty("wins").GetInt32()} / {difference.GetProperty("losses").GetInt32()} |");
        }

        return md.ToString();
    }

    private static string Reference(string jsonLines, string evaluationJson)
    {
        // One line per target (seed 0), then a summary line without a target.
        var perTarget = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (string line in jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("target", out var target))
            {
                perTarget[target.GetString()!] = document.RootElement.Clone();
            }
        }

        var report = EvaluationTables.Report.Parse(evaluationJson);
        using var evaluation = JsonDocument.Parse(evaluationJson);
        string? defaultMethod = evaluation.RootElement.TryGetProperty("default_method", out var d) ? d.GetString() : null;
        var missing = report.Targets.Where(t => !perTarget.ContainsKey(t)).ToArray();
        if (missing.Length > 0)
        {
            throw new FormatException($"the reference has no line for target(s) {string.Join(", ", missing)}");
        }

        string targets = report.Targets.Count > 1 ? $"{report.Targets[0]} … {report.Targets[^1]}" : string.Join(string.Empty, report.Targets);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"| method | reference (seed 0), targets {targets} | reference mean | EegDann (same method), mean ± sd, {report.Seeds.Count} seeds | EegDann seed {report.Seeds[0]} |");
        md.AppendLine("|---|---|---:|---:|---:|");
        foreach (var (key, label, method) in ReferenceMethods.Where(m => report.Methods.Contains(m.Method)))
        {
            double[] reference = report.Targets.Select(t => perTarget[t].GetProperty(key).GetDouble()).ToArray();
            string values = string.Join(" ", reference.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)));
            md.AppendLine(CultureInfo.InvariantCulture, $"| {label} (`{method}`) | {values} | {EvaluationTables.F(reference.Average())} | {EegDann(report, method, bold: false)} |");
        }

        foreach (string method in report.Methods.Where(m => ReferenceMethods.All(r => r.Method != m)))
        {
            bool isDefault = method == defaultMethod;
            md.AppendLine(CultureInfo.InvariantCulture, $"| `{method}`{(isDefault ? " (default)" : string.Empty)} | – | – | {EegDann(report, method, isDefault)} |");
        }

        return md.ToString();
    }

    /// <summary>The mean ± sd over targets × seeds and the first seed's mean, as two cells.</summary>
    private static string EegDann(EvaluationTables.Report report, string method, bool bold)
    {
        var rows = report.Main.Where(r => r.Method == method).ToArray();
        double[] all = rows.Select(r => r.Accuracy).ToArray();
        string mean = EvaluationTables.F(all.Average());
        string first = EvaluationTables.F(rows.Where(r => r.Seed == report.Seeds[0]).Average(r => r.Accuracy));
        return $"{(bold ? $"**{mean}**" : mean)} ± {EvaluationTables.F(EvaluationTables.Sd(all))} | {first}";
    }
}
