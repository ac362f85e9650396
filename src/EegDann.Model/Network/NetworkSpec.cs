using System.Text.Json.Serialization;

namespace EegDann.Model;

/// <summary>
/// Which feature extractor, and its sizes. The extractor maps one input sample to a feature vector
/// that both the label head and (through gradient reversal) the domain head read.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(MlpExtractorSpec), "mlp")]
public abstract record ExtractorSpec
{
    /// <summary>Lists what is wrong with these settings for inputs of <paramref name="sampleShape"/>; empty when fine.</summary>
    public abstract IReadOnlyList<string> Validate(IReadOnlyList<int> sampleShape);

    /// <summary>The length of the feature vector for inputs of <paramref name="sampleShape"/>.</summary>
    public abstract int FeatureSize(IReadOnlyList<int> sampleShape);
}

/// <summary>
/// A multilayer perceptron on feature vectors (log-variance, band power, tangent space…):
/// <c>Linear → ReLU (→ dropout)</c> per hidden layer.
/// </summary>
/// <param name="HiddenSizes">Width of each hidden layer, at least one, each ≥ 1 (the article's blobs network: 32, 32).</param>
/// <param name="Dropout">Dropout probability after each hidden layer while training, in [0, 1).</param>
public sealed record MlpExtractorSpec(IReadOnlyList<int> HiddenSizes, double Dropout = 0.0) : ExtractorSpec
{
    /// <inheritdoc />
    public override IReadOnlyList<string> Validate(IReadOnlyList<int> sampleShape)
    {
        var problems = new List<string>();
        if (sampleShape.Count != 1)
        {
            problems.Add($"the MLP extractor reads feature vectors, got samples of shape [{string.Join(", ", sampleShape)}]");
        }

        if (HiddenSizes is null || HiddenSizes.Count == 0 || HiddenSizes.Any(h => h < 1))
        {
            problems.Add("the MLP extractor needs at least one hidden layer, each of width ≥ 1");
        }

        if (!(Dropout >= 0 && Dropout < 1))
        {
            problems.Add($"dropout must be in [0, 1), got {Dropout}");
        }

        return problems;
    }

    /// <inheritdoc />
    public override int FeatureSize(IReadOnlyList<int> sampleShape) => HiddenSizes[^1];

    /// <inheritdoc />
    public bool Equals(MlpExtractorSpec? other) =>
        other is not null && Dropout.Equals(other.Dropout) && HiddenSizes.SequenceEqual(other.HiddenSizes);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Dropout, HiddenSizes.Count);
}

/// <summary>Whether the network standardises its input with statistics fitted on the source.</summary>
public enum InputStandardization
{
    /// <summary>Inputs go to the extractor as they are.</summary>
    None,

    /// <summary>
    /// z-score fitted on the labeled source: per feature for feature vectors, per channel for
    /// windows. Part of the fitted model (saved with the weights), applied identically at decode time.
    /// </summary>
    ZScore,
}

/// <summary>What the domain head reads.</summary>
public enum DomainHeadInput
{
    /// <summary>The extractor's features (DANN): feature-size inputs.</summary>
    Features,

    /// <summary>
    /// The multilinear map of the features f and the label head's class probabilities g (CDAN): the
    /// flattened outer product g ⊗ f, class-major (input <c>c · featureSize + j</c> is
    /// <c>g[c] · f[j]</c>), classes × feature-size inputs; see <see cref="MultilinearMap"/>.
    /// </summary>
    MultilinearMap,
}

/// <summary>
/// The architecture of a domain-adversarial network: everything needed to rebuild it before its
/// weights are loaded.
/// </summary>
/// <param name="SampleShape">Shape of one input sample: <c>[features]</c> or <c>[channels, samples]</c>.</param>
/// <param name="ClassCount">Number of classes, ≥ 2.</param>
/// <param name="DomainCount">Outputs of the domain head, ≥ 2 (source, target; or one per source subject plus the target).</param>
/// <param name="Extractor">The feature extractor.</param>
/// <param name="DomainHiddenSizes">Hidden widths of the domain head (<c>Linear → ReLU</c> each), possibly none.</param>
/// <param name="Standardization">Input standardisation.</param>
/// <param name="DomainInput">
/// What the domain head reads; not written to a model file when it is the features, so the files of
/// networks with a plain DANN domain head are what they were before CDAN existed.
/// </param>
public sealed record NetworkSpec(
    IReadOnlyList<int> SampleShape,
    int ClassCount,
    int DomainCount,
    ExtractorSpec Extractor,
    IReadOnlyList<int> DomainHiddenSizes,
    InputStandardization Standardization,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] DomainHeadInput DomainInput = DomainHeadInput.Features)
{
    /// <summary>The most values in one input sample (e.g. 256 channels × 16384 samples).</summary>
    public const int MaxSampleSize = 1 << 22;

    /// <summary>The widest layer (hidden width, filters, classes, domains) accepted.</summary>
    public const int MaxWidth = 1 << 16;

    /// <summary>
    /// The most parameters a network may have (64 M, 256 MB of float32): far above any EEG
    /// decoder, far below what would exhaust memory, so a mistyped or hostile size is refused
    /// before anything is allocated.
    /// </summary>
    public const long MaxParameters = 1L << 26;

    /// <summary>Lists every problem with this architecture; empty when it can be built.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (SampleShape is null || SampleShape.Count is < 1 or > 2 || SampleShape.Any(s => s < 1))
        {
            problems.Add("the sample shape must be [features] or [channels, samples] with positive sizes");
            return problems;
        }

        long sampleSize = SampleShape.Aggregate(1L, (a, b) => a * b);
        if (sampleSize > MaxSampleSize)
        {
            problems.Add($"a sample of shape [{string.Join(", ", SampleShape)}] has more than the {MaxSampleSize} values accepted");
            return problems;
        }

        var widths = new List<int> { ClassCount, DomainCount };
        widths.AddRange(DomainHiddenSizes ?? []);
        widths.AddRange(Extractor switch
        {
            MlpExtractorSpec mlp => mlp.HiddenSizes ?? [],
            _ => [],
        });
        if (widths.Any(w => w > MaxWidth))
        {
            problems.Add($"a layer width, class or domain count above {MaxWidth} ({widths.Max()}) is not accepted");
            return problems;
        }

        if (ClassCount < 2)
        {
            problems.Add($"at least two classes are needed, got {ClassCount}");
        }

        if (DomainCount < 2)
        {
            problems.Add($"the domain head needs at least two outputs, got {DomainCount}");
        }

        if (Extractor is null)
        {
            problems.Add("no feature extractor is given");
        }
        else
        {
            problems.AddRange(Extractor.Validate(SampleShape));
        }

        if (DomainHiddenSizes is null || DomainHiddenSizes.Any(h => h < 1))
        {
            problems.Add("domain head hidden widths must each be ≥ 1");
        }

        if (!Enum.IsDefined(DomainInput))
        {
            problems.Add($"unknown domain head input {DomainInput}");
        }

        if (problems.Count == 0 && ParameterCount() is var parameters && parameters > MaxParameters)
        {
            problems.Add($"the network would have {parameters} parameters, more than the {MaxParameters} accepted");
        }

        return problems;
    }

    /// <summary>The number of weights and biases of the network (valid architectures only; widths are bounded, so no overflow).</summary>
    public long ParameterCount()
    {
        long features;
        long total = 0;
        switch (Extractor)
        {
            case MlpExtractorSpec mlp:
                long inputs = SampleShape[0];
                foreach (int h in mlp.HiddenSizes)
                {
                    total += (inputs * h) + h;
                    inputs = h;
                }

                features = inputs;
                break;
            default:
                return 0;
        }

        total += (features * ClassCount) + ClassCount;
        long domainInputs = DomainInput == DomainHeadInput.MultilinearMap ? features * ClassCount : features;
        foreach (int h in DomainHiddenSizes)
        {
            total += (domainInputs * h) + h;
            domainInputs = h;
        }

        total += (domainInputs * DomainCount) + DomainCount;
        return total + (2L * SampleSize);
    }

    /// <summary>The domain head's input width for a feature vector of <paramref name="featureSize"/>: the features, or classes × features for the multilinear map.</summary>
    public int DomainInputSize(int featureSize) => DomainInput == DomainHeadInput.MultilinearMap ? featureSize * ClassCount : featureSize;

    /// <summary>Number of values in one input sample.</summary>
    [JsonIgnore]
    public int SampleSize => SampleShape.Aggregate(1, (a, b) => a * b);

    /// <inheritdoc />
    public bool Equals(NetworkSpec? other) =>
        other is not null && SampleShape.SequenceEqual(other.SampleShape) && ClassCount == other.ClassCount &&
        DomainCount == other.DomainCount && Equals(Extractor, other.Extractor) &&
        DomainHiddenSizes.SequenceEqual(other.DomainHiddenSizes) && Standardization == other.Standardization &&
        DomainInput == other.DomainInput;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(SampleShape.Count, ClassCount, DomainCount, Extractor, Standardization);
}
