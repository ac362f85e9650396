using System.Text.Json.Serialization;

namespace EegDann.Model;

/// <summary>How a network is trained: which losses, on which data.</summary>
[JsonConverter(typeof(TrainingMethodJsonConverter))]
public enum TrainingMethod
{
    /// <summary><c>source_only</c>: the label loss on the labeled source; the target is not used.</summary>
    SourceOnly,

    /// <summary>
    /// <c>reweighting</c>: a logistic-regression domain classifier on source-vs-target inputs gives
    /// each source sample the weight p/(1−p) (normalised to mean 1, clipped); then weighted
    /// source-only training.
    /// </summary>
    Reweighting,

    /// <summary><c>dann</c>: label loss on the source plus the adversarial domain loss on source and unlabeled target.</summary>
    Dann,

    /// <summary><c>dann_semi</c>: DANN whose label loss also includes a few labeled target samples (<see cref="TrainingProblem.TargetLabeled"/>).</summary>
    SemiSupervisedDann,

    /// <summary>
    /// <c>dann_multi_source</c>: DANN on several labeled source subjects with one domain per subject
    /// (the domain head tells the subjects and the target apart); needs source domain ids. Plain
    /// <see cref="Dann"/> on several subjects pools them as one source domain.
    /// </summary>
    MultiSourceDann,

    /// <summary>
    /// <c>dann_im</c>: DANN plus information maximisation on the unlabeled target's predictions
    /// (<see cref="InformationMaximisation"/>: confident and class-balanced), weighted by the same λ
    /// schedule as the adversary; labeled target samples, when given, join the label loss.
    /// </summary>
    DannIm,

    /// <summary>
    /// <c>source_only_im</c>: the label loss on the source plus information maximisation on the
    /// unlabeled target (λ schedule), without a domain head: <see cref="DannIm"/> without the adversary.
    /// </summary>
    SourceOnlyIm,

    /// <summary>
    /// <c>cdan</c>: conditional domain-adversarial training — DANN whose domain head reads, instead
    /// of the features f, their multilinear map with the label head's softmax g (the flattened outer
    /// product g ⊗ f, classes × feature size values; g is not differentiated through), so the
    /// adversary aligns the joint distribution of features and predictions rather than the features
    /// alone. Same λ and learning-rate schedules as <see cref="Dann"/>; labeled target samples, when
    /// given, join the label loss.
    /// </summary>
    /// <remarks>
    /// Long M., Cao Z., Wang J., Jordan M.I. Conditional Adversarial Domain Adaptation. NeurIPS 2018
    /// (CDAN without entropy conditioning; the map as thuml/Transfer-Learning-Library's
    /// <c>MultiLinearMap</c> and <c>ConditionalDomainAdversarialLoss</c>).
    /// </remarks>
    Cdan,
}

/// <summary>Reads and writes a <see cref="TrainingMethod"/> as its snake_case name (<see cref="TrainingMethods.Name"/>).</summary>
public sealed class TrainingMethodJsonConverter : JsonConverter<TrainingMethod>
{
    /// <inheritdoc />
    public override TrainingMethod Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        string? name = reader.GetString();
        try
        {
            return TrainingMethods.Parse(name ?? "");
        }
        catch (ArgumentException e)
        {
            throw new System.Text.Json.JsonException(e.Message, e);
        }
    }

    /// <inheritdoc />
    public override void Write(System.Text.Json.Utf8JsonWriter writer, TrainingMethod value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Name());
}

/// <summary>Names of training methods as they appear in files, options and on the command line.</summary>
public static class TrainingMethods
{
    /// <summary>Every method.</summary>
    public static IReadOnlyList<TrainingMethod> All { get; } = Enum.GetValues<TrainingMethod>();

    /// <summary>The snake_case name, e.g. <c>source_only</c>.</summary>
    public static string Name(this TrainingMethod method) => method switch
    {
        TrainingMethod.SourceOnly => "source_only",
        TrainingMethod.Reweighting => "reweighting",
        TrainingMethod.Dann => "dann",
        TrainingMethod.SemiSupervisedDann => "dann_semi",
        TrainingMethod.MultiSourceDann => "dann_multi_source",
        TrainingMethod.DannIm => "dann_im",
        TrainingMethod.SourceOnlyIm => "source_only_im",
        TrainingMethod.Cdan => "cdan",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
    };

    /// <summary>Parses a snake_case name.</summary>
    /// <exception cref="ArgumentException">When the name is unknown; the message lists the known ones.</exception>
    public static TrainingMethod Parse(string name)
    {
        foreach (var method in All)
        {
            if (string.Equals(method.Name(), name, StringComparison.OrdinalIgnoreCase))
            {
                return method;
            }
        }

        throw new ArgumentException($"Unknown training method '{name}'; known: {string.Join(", ", All.Select(x => x.Name()))}.", nameof(name));
    }

    /// <summary>What the method's domain head reads: the features, or (<c>cdan</c>) their multilinear map with the class probabilities.</summary>
    public static DomainHeadInput DomainInput(this TrainingMethod method) =>
        method == TrainingMethod.Cdan ? DomainHeadInput.MultilinearMap : DomainHeadInput.Features;
}

/// <summary>
/// Settings of one training run. Defaults are the paper's (SGD with momentum 0.9, μ0 = 0.01,
/// α = 10, β = 0.75, λ up to 1 with γ = 10) and the article's blobs network (2 → 32 → 32,
/// domain head 32 → 32 → 2, batches of 64 source + 64 target, 200 epochs). They are the one list
/// of defaults: a pipeline file's <c>model</c> or <c>training</c> key left out takes its value from
/// <see cref="Defaults"/>.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Every setting at its default (what <c>new TrainingOptions()</c> gives).</summary>
    public static TrainingOptions Defaults { get; } = new();

    /// <summary>The method.</summary>
    public TrainingMethod Method { get; init; } = TrainingMethod.Dann;

    /// <summary>Seed of initialisation, shuffles, target sampling and dropout. Same seed, data and thread count → same model bytes.</summary>
    public int Seed { get; init; }

    /// <summary>Passes over the source, ≥ 1.</summary>
    public int Epochs { get; init; } = 200;

    /// <summary>Source samples per step, ≥ 1; each step also draws as many target samples.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Initial learning rate μ0, &gt; 0; annealed as μ0/(1+α·p)^β.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Learning-rate annealing α ≥ 0 (0 keeps μ0 constant).</summary>
    public double LearningRateAlpha { get; init; } = 10.0;

    /// <summary>Learning-rate annealing β ≥ 0.</summary>
    public double LearningRateBeta { get; init; } = 0.75;

    /// <summary>SGD momentum in [0, 1).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 weight decay ≥ 0 (added to the gradient, as PyTorch's SGD does).</summary>
    public double WeightDecay { get; init; }

    /// <summary>λ tends to this value, &gt; 0 (the paper: 1).</summary>
    public double LambdaScale { get; init; } = 1.0;

    /// <summary>Steepness γ of the λ schedule, &gt; 0 (the paper: 10).</summary>
    public double LambdaGamma { get; init; } = 10.0;

    /// <summary>The feature extractor.</summary>
    public ExtractorSpec Extractor { get; init; } = new MlpExtractorSpec([32, 32]);

    /// <summary>Hidden widths of the domain head.</summary>
    public IReadOnlyList<int> DomainHiddenSizes { get; init; } = [32];

    /// <summary>Input standardisation fitted on the source.</summary>
    public InputStandardization Standardization { get; init; } = InputStandardization.ZScore;

    /// <summary>Weight of the labeled-target label loss relative to the source's (semi-supervised DANN), ≥ 0.</summary>
    public double TargetLabelWeight { get; init; } = 1.0;

    /// <summary>Reweighting: the largest weight a source sample may get (weights have mean 1), ≥ 1.</summary>
    public double ReweightingClip { get; init; } = 10.0;

    /// <summary>Reweighting: inverse L2 strength C of the logistic-regression domain classifier (as scikit-learn's C), &gt; 0.</summary>
    public double ReweightingC { get; init; } = 1.0;

    /// <summary>
    /// Training stops as diverged when the source label loss exceeds this multiple of ln(classes)
    /// (the loss of always answering uniformly), or when any loss or weight is not finite. &gt; 1.
    /// </summary>
    public double DivergenceFactor { get; init; } = 50.0;

    /// <summary>Per-epoch diagnostics are measured on at most this many source and as many target samples, ≥ 1.</summary>
    public int DiagnosticSamples { get; init; } = 2048;

    /// <summary>The λ schedule these options describe.</summary>
    [JsonIgnore]
    public LambdaSchedule Lambda => new(LambdaScale, LambdaGamma);

    /// <summary>The learning-rate schedule these options describe.</summary>
    [JsonIgnore]
    public LearningRateSchedule LearningRateSchedule => new(LearningRate, LearningRateAlpha, LearningRateBeta);

    /// <summary>Lists every problem with these settings; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(Method))
        {
            problems.Add($"unknown method {Method}");
        }

        if (Epochs < 1)
        {
            problems.Add($"epochs must be ≥ 1, got {Epochs}");
        }

        if (BatchSize < 1)
        {
            problems.Add($"batch size must be ≥ 1, got {BatchSize}");
        }

        Positive(LearningRate, "learning rate", problems);
        NonNegative(LearningRateAlpha, "learning-rate α", problems);
        NonNegative(LearningRateBeta, "learning-rate β", problems);
        if (!(Momentum >= 0 && Momentum < 1))
        {
            problems.Add($"momentum must be in [0, 1), got {Momentum}");
        }

        NonNegative(WeightDecay, "weight decay", problems);
        Positive(LambdaScale, "λ scale", problems);
        Positive(LambdaGamma, "λ γ", problems);
        NonNegative(TargetLabelWeight, "target label weight", problems);
        if (!(ReweightingClip >= 1) || double.IsInfinity(ReweightingClip))
        {
            problems.Add($"reweighting clip must be a finite number ≥ 1, got {ReweightingClip}");
        }

        Positive(ReweightingC, "reweighting C", problems);
        if (!(DivergenceFactor > 1))
        {
            problems.Add($"divergence factor must be > 1, got {DivergenceFactor}");
        }

        if (DiagnosticSamples < 1)
        {
            problems.Add($"diagnostic samples must be ≥ 1, got {DiagnosticSamples}");
        }

        if (Extractor is null)
        {
            problems.Add("no feature extractor is given");
        }

        if (DomainHiddenSizes is null || DomainHiddenSizes.Any(h => h < 1))
        {
            problems.Add("domain head hidden widths must each be ≥ 1");
        }

        return problems;
    }

    /// <inheritdoc />
    public bool Equals(TrainingOptions? other) =>
        other is not null && Method == other.Method && Seed == other.Seed && Epochs == other.Epochs && BatchSize == other.BatchSize &&
        LearningRate.Equals(other.LearningRate) && LearningRateAlpha.Equals(other.LearningRateAlpha) && LearningRateBeta.Equals(other.LearningRateBeta) &&
        Momentum.Equals(other.Momentum) && WeightDecay.Equals(other.WeightDecay) && LambdaScale.Equals(other.LambdaScale) &&
        LambdaGamma.Equals(other.LambdaGamma) && Equals(Extractor, other.Extractor) &&
        (DomainHiddenSizes ?? []).SequenceEqual(other.DomainHiddenSizes ?? []) && Standardization == other.Standardization &&
        TargetLabelWeight.Equals(other.TargetLabelWeight) && ReweightingClip.Equals(other.ReweightingClip) &&
        ReweightingC.Equals(other.ReweightingC) && DivergenceFactor.Equals(other.DivergenceFactor) && DiagnosticSamples == other.DiagnosticSamples;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Method, Seed, Epochs, BatchSize, LearningRate, Extractor, Standardization);

    private static void Positive(double value, string name, List<string> problems)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            problems.Add($"{name} must be a finite number > 0, got {value}");
        }
    }

    private static void NonNegative(double value, string name, List<string> problems)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            problems.Add($"{name} must be a finite number ≥ 0, got {value}");
        }
    }
}
