using System.Text.Json;
using EegDann.Daemon.Models;

namespace EegDann.Daemon.LiveConsole;

/// <summary>One row of the calibration report's accuracy table.</summary>
internal sealed record ReportMethod(string Method, double? Accuracy, double? BalancedAccuracy, bool Chosen);

/// <summary>
/// What the console shows about the model in use: id, file, when the file was written, the
/// sources it was trained on, and — when its calibration report lies beside the model file
/// (<c>NAME.report.json</c> and <c>NAME.report.*.png</c>/<c>.html</c>, as calibrate-new-subject
/// writes them) — the report's accuracy table and figures. Read once per model.
/// </summary>
internal sealed class ModelSummary
{
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);

    private ModelSummary(DecoderModel model)
    {
        Id = model.Id;
        Pipeline = model.Definition.Name;
        ClassNames = model.ClassNames;
        Source = model.Source;
        Sources = model.Package.Context.Extra.TryGetValue("sources", out var s) ? s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
        if (File.Exists(model.Source))
        {
            Written = File.GetLastWriteTimeUtc(model.Source);
            ReadReport(model.Source);
        }
    }

    public string Id { get; }

    public string Pipeline { get; }

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The model file (or what the model came from).</summary>
    public string Source { get; }

    /// <summary>When the model file was written (UTC), or null.</summary>
    public DateTime? Written { get; }

    /// <summary>The source subjects it was trained on (from the model file, else the report).</summary>
    public IReadOnlyList<string> Sources { get; private set; }

    /// <summary>The method the report names as the model's.</summary>
    public string? Method { get; private set; }

    /// <summary>The target subject of the calibration report.</summary>
    public string? Target { get; private set; }

    /// <summary>The report's accuracy table (empty without a report).</summary>
    public IReadOnlyList<ReportMethod> Methods { get; private set; } = [];

    /// <summary>Report files served under <c>/report/</c> (PNG figures, the HTML page), by name.</summary>
    public IReadOnlyCollection<string> Files => _files.Keys;

    /// <summary>Why the report could not be read, or null.</summary>
    public string? ReportProblem { get; private set; }

    public static ModelSummary Of(DecoderModel model) => new(model);

    /// <summary>The path of a report file by its served name, or null when it is not one.</summary>
    public string? FilePath(string name) => _files.GetValueOrDefault(name);

    private void ReadReport(string modelPath)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        string stem = Path.GetFileNameWithoutExtension(modelPath) + ".report";
        string json = Path.Combine(directory, stem + ".json");
        if (!File.Exists(json))
        {
            return;
        }

        foreach (string path in Directory.EnumerateFiles(directory, stem + ".*").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(path);
            if (name.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
            {
                _files[name] = path;
            }
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(json));
            var root = document.RootElement;
            Method = root.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            Target = root.TryGetProperty("target", out var t) && t.ValueKind == JsonValueKind.Object && t.TryGetProperty("subject", out var ts) ? ts.GetString() : null;
            if (Sources.Count == 0 && root.TryGetProperty("sources", out var sources) && sources.ValueKind == JsonValueKind.Array)
            {
                Sources = sources.EnumerateArray().Select(x => x.TryGetProperty("subject", out var subject) ? subject.GetString() ?? "?" : "?").ToArray();
            }

            if (root.TryGetProperty("methods", out var methods) && methods.ValueKind == JsonValueKind.Array)
            {
                Methods = methods.EnumerateArray().Select(x => new ReportMethod(
                    x.TryGetProperty("method", out var name) ? name.GetString() ?? "?" : "?",
                    Number(x, "accuracy"),
                    Number(x, "balanced_accuracy"),
                    x.TryGetProperty("chosen", out var chosen) && chosen.ValueKind == JsonValueKind.True)).ToArray();
            }
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidOperationException)
        {
            ReportProblem = $"{json}: {e.Message}";
        }
    }

    private static double? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    /// <summary>Writes the console frame's <c>model</c> object: what it is, where from, and its report's table and figures.</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject("model");
        w.WriteString("id", Id);
        w.WriteString("pipeline", Pipeline);
        w.WriteString("file", Source);
        if (Written is { } written)
        {
            w.WriteString("written", written);
        }
        else
        {
            w.WriteNull("written");
        }

        w.WriteString("method", Method);
        w.WriteString("target", Target);
        w.WriteStartArray("sources");
        foreach (string s in Sources)
        {
            w.WriteStringValue(s);
        }

        w.WriteEndArray();
        w.WriteStartArray("classes");
        foreach (string c in ClassNames)
        {
            w.WriteStringValue(c);
        }

        w.WriteEndArray();
        w.WriteStartArray("report");
        foreach (var r in Methods)
        {
            w.WriteStartObject();
            w.WriteString("method", r.Method);
            ConsoleJson.Number(w, "accuracy", r.Accuracy ?? double.NaN, 3);
            ConsoleJson.Number(w, "balancedAccuracy", r.BalancedAccuracy ?? double.NaN, 3);
            w.WriteBoolean("chosen", r.Chosen);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("files");
        foreach (string f in Files)
        {
            w.WriteStringValue("report/" + Uri.EscapeDataString(f));
        }

        w.WriteEndArray();
        w.WriteString("reportProblem", ReportProblem);
        w.WriteEndObject();
    }
}
