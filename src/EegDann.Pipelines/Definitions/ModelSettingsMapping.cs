using EegDann.Model;

namespace EegDann.Pipelines.Definitions;

/// <summary>Maps a pipeline file's <c>model</c> and <c>training</c> sections onto EegDann.Model's options.</summary>
public static class ModelSettingsMapping
{
    /// <summary>The feature extractor the <c>model</c> section describes.</summary>
    public static ExtractorSpec ToExtractorSpec(this ModelSettings model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Extractor.Create(model.HiddenSizes, model.Dropout);
    }

    /// <summary>
    /// The training options the pipeline's <c>model</c> and <c>training</c> sections describe;
    /// <paramref name="method"/> and <paramref name="seed"/> override the file's (command-line options).
    /// </summary>
    public static TrainingOptions ToTrainingOptions(this PipelineDefinition definition, TrainingMethod? method = null, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return ToTrainingOptions(definition.Model, definition.Training, method, seed);
    }

    /// <summary>The training options of a <c>model</c> and a <c>training</c> section.</summary>
    public static TrainingOptions ToTrainingOptions(ModelSettings m, TrainingSettings t, TrainingMethod? method = null, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(t);
        return new TrainingOptions
        {
            Method = method ?? TrainingMethods.Parse(t.Method),
            Seed = seed ?? t.Seed,
            Epochs = t.Epochs,
            BatchSize = t.BatchSize,
            LearningRate = t.LearningRate,
            LearningRateAlpha = t.LearningRateAlpha,
            LearningRateBeta = t.LearningRateBeta,
            Momentum = t.Momentum,
            WeightDecay = t.WeightDecay,
            LambdaScale = t.LambdaScale,
            LambdaGamma = t.LambdaGamma,
            TargetLabelWeight = t.TargetLabelWeight,
            ReweightingClip = t.ReweightingClip,
            ReweightingC = t.ReweightingC,
            Extractor = m.ToExtractorSpec(),
            DomainHiddenSizes = m.DomainHiddenSizes,
            Standardization = m.Standardization == NoStandardization ? InputStandardization.None : InputStandardization.ZScore,
        };
    }

    /// <summary>
    /// The <c>model</c> section a pipeline gets for every key it leaves out: <see cref="TrainingOptions.Defaults"/>'s
    /// extractor (the MLP's widths and dropout), domain head and standardisation.
    /// </summary>
    public static ModelSettings DefaultModel { get; } = ToModelSettings(TrainingOptions.Defaults);

    /// <summary>
    /// The <c>training</c> section a pipeline gets for every key it leaves out: <see cref="TrainingOptions.Defaults"/>'s
    /// values, one network (<c>ensemble</c> 1) and no crops.
    /// </summary>
    public static TrainingSettings DefaultTraining { get; } = ToTrainingSettings(TrainingOptions.Defaults);

    private const string NoStandardization = "none";

    private static ModelSettings ToModelSettings(TrainingOptions o)
    {
        var kind = ExtractorKind.Of(o.Extractor);
        var mlp = (MlpExtractorSpec)o.Extractor;
        string standardization = o.Standardization == InputStandardization.None ? NoStandardization : "z_score";
        return new ModelSettings(kind, mlp.HiddenSizes, mlp.Dropout, o.DomainHiddenSizes, standardization);
    }

    private static TrainingSettings ToTrainingSettings(TrainingOptions o) => new(
        o.Method.Name(), o.Seed, o.Epochs, o.BatchSize, o.LearningRate, o.LearningRateAlpha, o.LearningRateBeta, o.Momentum,
        o.WeightDecay, o.LambdaScale, o.LambdaGamma, o.TargetLabelWeight, o.ReweightingClip, o.ReweightingC);

    /// <summary>The shape of one network input: <c>[features]</c> (<paramref name="featureCount"/>), what the MLP reads.</summary>
    public static int[] SampleShape(this PipelineDefinition definition, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return [featureCount];
    }
}
