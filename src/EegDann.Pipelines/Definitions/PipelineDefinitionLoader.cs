using System.Text.Json;
using EegDann.Dsp.Features;
using EegDann.Dsp.Segmentation;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines.Definitions;

/// <summary>
/// Reads and validates <c>pipelines/*.json</c> before anything runs: unknown sections, steps or
/// parameters, values out of range, filters that cannot be designed at the pipeline's rate, steps
/// out of order — every problem is reported at once, naming the file and the step.
/// </summary>
public static partial class PipelineDefinitionLoader
{
    private static readonly string[] TopLevel = ["name", "description", "citations", "signal", "paradigm", "windows", "steps", "model", "training"];
    private static readonly string[] SignalKeys = ["sample_rate_hz", "channels"];
    private static readonly string[] ParadigmKeys = ["dataset", "runs", "source_runs", "target_runs", "events", "run_events", "epoch"];
    private static readonly string[] EpochKeys = ["start_s", "length_s"];
    private static readonly string[] WindowKeys = ["length_s", "stride_s"];
    private static readonly string[] StepKeys = ["type", "parameters"];
    /// <summary>Reads and validates a pipeline file.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="PipelineDefinitionException">When the file cannot be read or is not valid; the message names the file and lists every problem.</exception>
    public static PipelineDefinition Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PipelineDefinitionException(path, [$"cannot read the file: {e.Message}"]);
        }

        return Parse(text, path);
    }

    /// <summary>Parses and validates a pipeline definition from JSON text.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where it came from, for messages (a path, or e.g. <c>model file</c>).</param>
    /// <exception cref="PipelineDefinitionException">When it is not valid.</exception>
    public static PipelineDefinition Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new PipelineDefinitionException(source, [$"not valid JSON: {e.Message}"]);
        }

        using (document)
        {
            var problems = new List<string>();
            var root = new JsonSection(document.RootElement, "pipeline", problems);
            if (!root.IsObject)
            {
                throw new PipelineDefinitionException(source, problems);
            }

            string name = root.Text("name");
            string description = root.Text("description");
            var citations = root.TextList("citations", []);

            var signalSection = root.Section("signal");
            double rate = signalSection?.Number("sample_rate_hz", min: 0, minExclusive: true) ?? double.NaN;
            var channels = signalSection?.TextList("channels", nonEmpty: true) ?? [];
            signalSection?.RejectUnknown(SignalKeys);
            foreach (var duplicate in channels.GroupBy(c => c, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            {
                signalSection!.Problem("channels", $"lists '{duplicate.Key}' more than once");
            }

            var paradigmSection = root.Section("paradigm");
            string? dataset = paradigmSection?.Has("dataset") == true ? paradigmSection.Text("dataset") : null;
            var runs = paradigmSection?.TextList("runs", []) ?? [];
            var sourceRuns = paradigmSection?.Has("source_runs") == true ? paradigmSection.TextList("source_runs", []) : null;
            var targetRuns = paradigmSection?.Has("target_runs") == true ? paradigmSection.TextList("target_runs", []) : null;
            if (runs.Count == 0 && (sourceRuns != null || targetRuns != null))
            {
                runs = (targetRuns ?? sourceRuns)!;
            }

            if ((sourceRuns is { Count: 0 } && targetRuns is { Count: > 0 }) || (targetRuns is { Count: 0 } && sourceRuns is { Count: > 0 }))
            {
                paradigmSection!.Problem(sourceRuns is { Count: 0 } ? "source_runs" : "target_runs", "is empty while the other run list is not; name the runs of both or of neither");
            }
            var events = new Dictionary<string, string>(StringComparer.Ordinal);
            var eventsSection = paradigmSection?.Section("events");
            if (eventsSection != null)
            {
                foreach (var key in eventsSection.Keys.ToArray())
                {
                    events[key] = eventsSection.Text(key);
                }

                if (events.Count == 0)
                {
                    eventsSection.Problem("must map at least one event label to a class");
                }
                else if (events.Values.Distinct(StringComparer.Ordinal).Count() < 2)
                {
                    eventsSection.Problem("must map events to at least two classes");
                }
            }

            var runEvents = ReadRunEvents(paradigmSection, runs, sourceRuns, targetRuns);

            var epochSection = paradigmSection?.Section("epoch");
            double epochStart = epochSection?.Number("start_s") ?? double.NaN;
            double epochLength = epochSection?.Number("length_s", min: 0, minExclusive: true) ?? double.NaN;
            epochSection?.RejectUnknown(EpochKeys);
            paradigmSection?.RejectUnknown(ParadigmKeys);

            var windowSection = root.Section("windows");
            double windowLength = windowSection?.Number("length_s", min: 0, minExclusive: true) ?? double.NaN;
            double stride = windowSection?.Number("stride_s", min: 0, minExclusive: true) ?? double.NaN;
            windowSection?.RejectUnknown(WindowKeys);

            var steps = ReadSteps(root, problems);
            var model = ReadModel(root.Section("model", optional: true) ?? Empty("model", problems));
            var training = ReadTraining(root.Section("training", optional: true) ?? Empty("training", problems));
            root.RejectUnknown(TopLevel);

            if (problems.Count == 0)
            {
                CheckSemantics(rate, channels, epochLength, windowLength, stride, steps, model, problems);
                CheckNetwork(model, training, channels.Count, SampleTime.ToSamples(epochLength, rate), problems);
            }

            if (problems.Count > 0)
            {
                throw new PipelineDefinitionException(source, problems);
            }

            return new PipelineDefinition
            {
                Name = name,
                Description = description,
                Citations = citations,
                Signal = new SignalRequirements(rate, channels),
                Paradigm = new Paradigm(dataset, runs, events, epochStart, epochLength) { SourceRuns = sourceRuns ?? runs, TargetRuns = targetRuns ?? runs, RunEvents = runEvents },
                Windows = new WindowSettings(windowLength, stride),
                Steps = steps.Select(s => s.Spec!).ToArray(),
                Model = model,
                Training = training,
                Source = source,
                Json = json,
            };
        }
    }

    private sealed record ParsedStep(int Index, string Type, StepSpec? Spec)
    {
        public string Where => $"step {Index} '{Type}'";
    }

    /// <summary>
    /// <c>paradigm.run_events</c>: run → its own event map (e.g. EEGMMIDB's T1/T2 are left/right fist
    /// in R04/R08/R12 but both fists/both feet in R06/R10/R14); every run named must be one the
    /// paradigm reads (when it names any), every map must name at least one event.
    /// </summary>
    private static Dictionary<string, IReadOnlyDictionary<string, string>> ReadRunEvents(JsonSection? paradigm, IReadOnlyList<string> runs, IReadOnlyList<string>? sourceRuns, IReadOnlyList<string>? targetRuns)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
        var section = paradigm?.Has("run_events") == true ? paradigm.Section("run_events") : null;
        if (section is null)
        {
            return result;
        }

        var known = runs.Concat(sourceRuns ?? []).Concat(targetRuns ?? []).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var run in section.Keys.ToArray())
        {
            if (result.ContainsKey(run))
            {
                section.Problem(run, "is named twice (runs are compared without case)");
                continue;
            }

            if (known.Count > 0 && !known.Contains(run))
            {
                section.Problem(run, $"is not one of the paradigm's runs ({string.Join(", ", known.Order(StringComparer.OrdinalIgnoreCase))}); list it in 'runs', 'source_runs' or 'target_runs'");
            }

            var map = section.Section(run);
            if (map is null)
            {
                continue;
            }

            var events = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var key in map.Keys.ToArray())
            {
                events[key] = map.Text(key);
            }

            if (events.Count == 0)
            {
                map.Problem("must map at least one event label to a class");
            }

            result[run] = events;
        }

        return result;
    }

    private static List<ParsedStep> ReadSteps(JsonSection root, List<string> problems)
    {
        var result = new List<ParsedStep>();
        var raw = root.Raw("steps");
        if (raw is null || raw.Value.ValueKind != JsonValueKind.Array)
        {
            root.Problem("steps", "is required (a list of {\"type\", \"parameters\"} objects)");
            return result;
        }

        int index = 0;
        foreach (var item in raw.Value.EnumerateArray())
        {
            index++;
            var step = new JsonSection(item, $"step {index}", problems);
            if (!step.IsObject)
            {
                continue;
            }

            string type = step.Text("type");
            var parametersElement = step.Raw("parameters");
            step.RejectUnknown(StepKeys);
            if (type.Length == 0)
            {
                continue;
            }

            var where = $"step {index} '{type}'";
            var parameters = parametersElement is null
                ? new JsonSection(JsonDocument.Parse("{}").RootElement.Clone(), where, problems)
                : new JsonSection(parametersElement.Value, where, problems);
            if (!parameters.IsObject)
            {
                continue;
            }

            result.Add(new ParsedStep(index, type, StageRegistry.Parse(type, parameters)));
        }

        return result;
    }

    private static JsonSection Empty(string where, List<string> problems) => new(JsonDocument.Parse("{}").RootElement.Clone(), where, problems);

    private static void CheckSemantics(double rate, IReadOnlyList<string> channels, double epochLength, double windowLength, double stride, List<ParsedStep> steps, ModelSettings model, List<string> problems)
    {
        long epochSamples = SampleTime.ToSamples(epochLength, rate);
        long windowSamples = SampleTime.ToSamples(windowLength, rate);
        long strideSamples = SampleTime.ToSamples(stride, rate);
        if (epochSamples < 8)
        {
            problems.Add($"paradigm.epoch: 'length_s' {epochLength} s is {epochSamples} samples at {rate} Hz; at least 8 are needed");
        }

        if (windowSamples != epochSamples)
        {
            problems.Add($"windows: 'length_s' ({windowLength} s = {windowSamples} samples) must equal the epoch length ({epochLength} s = {epochSamples} samples): the decoder sees windows shaped like the training epochs");
        }

        if (strideSamples < 1)
        {
            problems.Add($"windows: 'stride_s' {stride} s is less than one sample at {rate} Hz");
        }

        var shape = new FeatureShape(channels, (int)Math.Max(epochSamples, 8), rate);
        StepKind previous = StepKind.Signal;
        string? previousWhere = null;
        foreach (var step in steps)
        {
            if (step.Spec is null)
            {
                continue;
            }

            if (step.Spec.Kind < previous)
            {
                problems.Add($"{step.Where}: a {step.Spec.Kind.Describe()} step cannot come after {previousWhere} (order: {StepKinds.Order})");
            }

            previous = step.Spec.Kind;
            previousWhere = step.Where;
            try
            {
                // Each step checks its own parameters against the pipeline's channels, epoch and rate.
                foreach (var problem in step.Spec.Validate(shape))
                {
                    problems.Add(problem.Format(step.Where));
                }
            }
            catch (ArgumentException e)
            {
                problems.Add($"{step.Where}: {e.Message}");
            }
        }

        foreach (var repeated in steps.Where(s => s.Spec is { AtMostOne: true }).GroupBy(s => s.Type, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"{repeated.Skip(1).First().Where}: only one {repeated.Key} step is allowed");
        }

        bool hasFeatures = steps.Any(s => s.Spec?.Kind == StepKind.Feature);
        if (model.Extractor.ReadsFeatureVectors && !hasFeatures)
        {
            problems.Add($"steps: the {model.Extractor.Name} extractor reads feature vectors; add at least one feature step (e.g. log_variance)");
        }

        foreach (var duplicate in steps.Where(s => s.Spec is IFeatureStep).GroupBy(s => s.Spec).Where(g => g.Count() > 1))
        {
            problems.Add($"{duplicate.Skip(1).First().Where}: repeats {duplicate.First().Where} (the features would have the same names)");
        }
    }
}
