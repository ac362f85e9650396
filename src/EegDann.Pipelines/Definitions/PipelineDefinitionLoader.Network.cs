using EegDann.Model;

namespace EegDann.Pipelines.Definitions;

/// <summary>The <c>model</c> and <c>training</c> sections: read with TrainingOptions' defaults, checked by the network's own rules.</summary>
public static partial class PipelineDefinitionLoader
{
    /// <summary>Training methods (EegDann.Model's names).</summary>
    public static readonly IReadOnlyList<string> Methods = TrainingMethods.All.Select(m => m.Name()).ToArray();

    /// <summary>The name of the convolutional extractor removed in issue 12, refused with its own explanation.</summary>
    private const string RemovedConvExtractor = "conv";

    /// <summary>The most training epochs a pipeline may ask for (the shipped ones use 100–300).</summary>
    public const int MaxEpochs = 100_000;

    /// <summary>The largest training batch a pipeline may ask for.</summary>
    public const int MaxBatchSize = 1 << 16;

    private static readonly string[] ModelKeys = ["extractor", "hidden_sizes", "dropout", "domain_hidden_sizes", "standardization"];
    private static readonly string[] TrainingKeys = ["method", "seed", "epochs", "batch_size", "learning_rate", "learning_rate_alpha", "learning_rate_beta", "momentum", "weight_decay", "lambda_scale", "lambda_gamma", "target_label_weight", "reweighting_clip", "reweighting_c", "ensemble", "crops"];

    private static ModelSettings ReadModel(JsonSection s)
    {
        var d = ModelSettingsMapping.DefaultModel;
        string name = s.Text("extractor", d.Extractor.Name);
        var extractor = ExtractorKind.Find(name);
        if (extractor is null && name.Length > 0)
        {
            string supported = string.Join(", ", ExtractorKind.All.Select(e => $"\"{e.Name}\""));
            s.Problem("extractor", name == RemovedConvExtractor
                ? $"\"conv\" is no longer supported: the convolutional extractor was removed (calibration and evaluation never trained it, and its training produced NaN on AVX-512 hosts); supported extractors: {supported}"
                : $"must be one of the supported extractors {supported}, got \"{name}\"");
        }

        // A key left out takes TrainingOptions' default (ModelSettingsMapping.DefaultModel), the one list of defaults.
        // An unknown extractor is a problem recorded above; the default stands in so the other keys are still checked.
        var settings = new ModelSettings(
            extractor ?? d.Extractor,
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
}
