using EegDann.Model;

namespace EegDann.Pipelines.Definitions;

/// <summary>
/// The network's feature extractor as a pipeline file names it (<c>model.extractor</c>): one value per
/// supported extractor, each saying what it reads and building EegDann.Model's specification. The
/// list of names the loader accepts is <see cref="All"/>; nothing else compares extractor names.
/// </summary>
/// <remarks>
/// The convolutional extractor (<c>conv</c>) was removed in issue 12: calibration and evaluation never
/// trained it, and its training produced NaN on AVX-512 hosts; a file naming it is refused.
/// </remarks>
public sealed class ExtractorKind
{
    private readonly Type _specType;
    private readonly Func<IReadOnlyList<int>, double, ExtractorSpec> _create;

    private ExtractorKind(string name, bool readsFeatureVectors, Type specType, Func<IReadOnlyList<int>, double, ExtractorSpec> create)
    {
        Name = name;
        ReadsFeatureVectors = readsFeatureVectors;
        _specType = specType;
        _create = create;
    }

    /// <summary><c>mlp</c>: a multilayer perceptron on the feature steps' vectors.</summary>
    public static ExtractorKind Mlp { get; } = new("mlp", readsFeatureVectors: true, typeof(MlpExtractorSpec), (hidden, dropout) => new MlpExtractorSpec(hidden, dropout));

    /// <summary>Every supported extractor, in the order help texts list them.</summary>
    /// <remarks>Declared after the values: static properties initialise in order.</remarks>
    public static IReadOnlyList<ExtractorKind> All { get; } = [Mlp];

    /// <summary>The name in pipeline files, e.g. <c>mlp</c>.</summary>
    public string Name { get; }

    /// <summary>Whether the extractor reads feature vectors (then a pipeline needs at least one feature step).</summary>
    public bool ReadsFeatureVectors { get; }

    /// <summary>The extractor named <paramref name="name"/> (compared exactly), or null when none is.</summary>
    public static ExtractorKind? Find(string name) => All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal));

    /// <summary>The extractor a specification of EegDann.Model is (by the specification's type).</summary>
    /// <exception cref="ArgumentException">When no pipeline extractor builds that specification.</exception>
    public static ExtractorKind Of(ExtractorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return All.FirstOrDefault(e => e._specType == spec.GetType())
            ?? throw new ArgumentException($"pipelines describe only the {string.Join(", ", All.Select(e => e.Name))} extractor(s), got {spec.GetType().Name}", nameof(spec));
    }

    /// <summary>EegDann.Model's specification of this extractor with these hidden widths and dropout.</summary>
    public ExtractorSpec Create(IReadOnlyList<int> hiddenSizes, double dropout) => _create(hiddenSizes, dropout);

    /// <inheritdoc />
    public override string ToString() => Name;
}
