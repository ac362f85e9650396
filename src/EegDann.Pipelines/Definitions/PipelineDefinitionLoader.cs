// Why one file over 400 lines: the reader and validator of pipelines/*.json is one pass that collects
// every problem with its file and step before anything runs; most of its length is per-section
// parsing. It shrinks when each step type owns its parameters and validation (issue 12 §3, typed
// steps), not by cutting the pass in two.
using System.Text.Json;
using EegDann.Dsp.Features;
using EegDann.Dsp.Segmentation;
using EegDann.Model;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines.Definitions;

/// <summary>
/// Reads and validates <c>pipelines/*.json</c> before anything runs: unknown sections, steps or
/// parameters, values out of range, filters that cannot be designed at the pipeline's rate, steps
/// out of order — every problem is reported at once, naming the file and the step.
/// </summary>
public static class PipelineDefinitionLoader
{
    /// <summary>
    /// Extractor families. The convolutional extractor (<c>conv</c>) was removed in issue 12: calibration and
    /// evaluation never trained it, and its training produced NaN on AVX-512 hosts; a file naming it is refused.
    /// </summary>
    public static readonly IReadOnlyList<string> Extractors = ["mlp"];

    /// <summary>Training methods (EegDann.Model's names).</summary>
    public static readonly IReadOnlyList<string> Methods = TrainingMethods.All.Select(m => m.Name()).ToArray();

    private static readonly string[] TopLevel = ["name", "description", "citations", "signal", "paradigm", "windows", "steps", "model", "training"];
    private static readonly string[] SignalKeys = ["sample_rate_hz", "channels"];
    private static readonly string[] ParadigmKeys = ["dataset", "runs", "source_runs", "target_runs", "events", "run_events", "epoch"];
    private static readonly string[] EpochKeys = ["start_s", "length_s"];
    private static readonly string[] WindowKeys = ["length_s", "stride_s"];
    private static readonly string[] StepKeys = ["type", "parameters"];
    /// <summary>The most training epochs a pipeline may ask for (the shipped ones use 100–300).</summary>
    public const int MaxEpochs = 100_000;

    /// <summary>The largest training batch a pipeline may ask for.</summary>
    public const int MaxBatchSize = 1 << 16;

    private static readonly string[] ModelKeys = ["extractor", "hidden_sizes", "dropout", "domain_hidden_sizes", "standardization"];
    private static readonly string[] TrainingKeys = ["method", "seed", "epochs", "batch_size", "learning_rate", "learning_rate_alpha", "learning_rate_beta", "momentum", "weight_decay", "lambda_scale", "lambda_gamma", "target_label_weight", "reweighting_clip", "reweighting_c", "ensemble", "crops"];

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

    private static ModelSettings ReadModel(JsonSection s)
    {
        var d = ModelSettingsMapping.DefaultModel;
        string extractor = s.Text("extractor", d.Extractor);
        if (extractor.Length > 0 && !Extractors.Contains(extractor, StringComparer.Ordinal))
        {
            string supported = string.Join(", ", Extractors.Select(e => $"\"{e}\""));
            s.Problem("extractor", extractor == "conv"
                ? $"\"conv\" is no longer supported: the convolutional extractor was removed (calibration and evaluation never trained it, and its training produced NaN on AVX-512 hosts); supported extractors: {supported}"
                : $"must be one of the supported extractors {supported}, got \"{extractor}\"");
        }

        // A key left out takes TrainingOptions' default (ModelSettingsMapping.DefaultModel), the one list of defaults.
        var settings = new ModelSettings(
            extractor,
            s.IntegerList("hidden_sizes", d.HiddenSizes, min: 1, nonEmpty: true, max: NetworkSpec.MaxWidth),
            s.Number("dropout", d.Dropout, min: 0, max: 0.999),
            s.IntegerList("domain_hidden_sizes", d.DomainHiddenSizes, min: 1, max: NetworkSpec.MaxWidth),
            s.Text("standardization", d.Standardization, ["z_score", "none"]));
        s.RejectUnknown(ModelKeys);
        return settings;
    }

    private static TrainingSettings ReadTraining(JsonSection s)
    {
        // A key left out takes TrainingOptions' default (ModelSettingsMapping.DefaultTraining), the one list of defaults.
        var d = ModelSettingsMapping.DefaultTraining;
        var settings = new TrainingSettings(
            s.Text("method", d.Method, Methods),
            s.Integer("seed", d.Seed),
            s.Integer("epochs", d.Epochs, min: 1, max: MaxEpochs),
            s.Integer("batch_size", d.BatchSize, min: 1, max: MaxBatchSize),
            s.Number("learning_rate", d.LearningRate, min: 0, minExclusive: true),
            s.Number("learning_rate_alpha", d.LearningRateAlpha, min: 0),
            s.Number("learning_rate_beta", d.LearningRateBeta, min: 0),
            s.Number("momentum", d.Momentum, min: 0, max: 0.999),
            s.Number("weight_decay", d.WeightDecay, min: 0),
            s.Number("lambda_scale", d.LambdaScale, min: 0, minExclusive: true),
            s.Number("lambda_gamma", d.LambdaGamma, min: 0, minExclusive: true),
            s.Number("target_label_weight", d.TargetLabelWeight, min: 0),
            s.Number("reweighting_clip", d.ReweightingClip, min: 1),
            s.Number("reweighting_c", d.ReweightingC, min: 0, minExclusive: true),
            s.Integer("ensemble", d.Ensemble, min: 1, max: 64),
            s.Boolean("crops", d.Crops));
        s.RejectUnknown(TrainingKeys);
        return settings;
    }

    private static void CheckNetwork(ModelSettings model, TrainingSettings training, int channels, long epochSamples, List<string> problems)
    {
        // The network's own checks, on the shape it will see (feature count is known only after fitting; 1 stands in).
        var shape = new[] { 1 };
        var extractor = model.ToExtractorSpec();
        var extractorProblems = extractor.Validate(shape);
        foreach (var problem in extractorProblems)
        {
            problems.Add($"model: {problem}");
        }

        if (extractorProblems.Count == 0)
        {
            // Sizes together (the parameter count) bounded before anything is allocated.
            var spec = new NetworkSpec(shape, 2, 2, extractor, model.DomainHiddenSizes, InputStandardization.None);
            foreach (var problem in spec.Validate())
            {
                problems.Add($"model: {problem}");
            }
        }

        var options = ModelSettingsMapping.ToTrainingOptions(model, training);
        foreach (var problem in options.Validate())
        {
            problems.Add($"training: {problem}");
        }
    }

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
        string? sawFilterBank = null;
        foreach (var step in steps)
        {
            if (step.Spec is null)
            {
                continue;
            }

            if (step.Spec.Kind < previous)
            {
                problems.Add($"{step.Where}: a {step.Spec.Kind.ToString().ToLowerInvariant()} step cannot come after {previousWhere} (order: signal steps, euclidean_alignment, feature steps, standardize)");
            }

            previous = step.Spec.Kind;
            previousWhere = step.Where;
            try
            {
                if (step.Spec.Kind == StepKind.Signal && sawFilterBank != null)
                {
                    problems.Add($"{step.Where}: comes after {sawFilterBank}; the filter bank must be the last signal step");
                }

                if (step.Spec is FilterBankSpec)
                {
                    sawFilterBank ??= step.Where;
                }

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

        var counts = steps.Where(s => s.Spec != null).GroupBy(s => s.Spec!.Kind).ToDictionary(g => g.Key, g => g.ToList());
        if (steps.Count(s => s.Spec is FilterBankSpec) > 1)
        {
            problems.Add($"{steps.Where(s => s.Spec is FilterBankSpec).Skip(1).First().Where}: only one filter_bank step is allowed");
        }

        foreach (var kind in new[] { StepKind.Alignment, StepKind.Standardize })
        {
            if (counts.TryGetValue(kind, out var list) && list.Count > 1)
            {
                problems.Add($"{list[1].Where}: only one {list[1].Type} step is allowed");
            }
        }

        bool hasFeatures = counts.ContainsKey(StepKind.Feature);
        if (model.Extractor == "mlp" && !hasFeatures)
        {
            problems.Add("steps: the mlp extractor reads feature vectors; add at least one feature step (e.g. log_variance)");
        }

        foreach (var duplicate in steps.Where(s => s.Spec is IFeatureStep).GroupBy(s => s.Spec).Where(g => g.Count() > 1))
        {
            problems.Add($"{duplicate.Skip(1).First().Where}: repeats {duplicate.First().Where} (the features would have the same names)");
        }
    }
}
