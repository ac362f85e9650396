using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EegDann.Model;

/// <summary>
/// The domain-adversarial network: input standardisation → feature extractor → label head, and
/// feature extractor → gradient reversal → domain head. <see cref="Module{T, TResult}.forward"/>
/// gives class logits from raw inputs (what decoding needs); training uses the parts separately.
/// </summary>
/// <remarks>Ganin &amp; Lempitsky 2015, Fig. 1.</remarks>
public sealed class DannNetwork : Module<Tensor, Tensor>
{
    private readonly InputStandardizer input;
    private readonly Module<Tensor, Tensor> features;
    private readonly LabelHead label;
    private readonly DomainHead domain;

    /// <summary>
    /// Builds an untrained network (libtorch's default initialisation). Networks are trained by
    /// <see cref="StackedMlpTrainer"/> as members of a <see cref="StackedDannNetwork"/>, which holds this
    /// network's parameters and buffers under the same names, initialises, standardises and drops out,
    /// and copies a member in here by name (<see cref="StackedDannNetwork.Member"/>); this module is what decodes.
    /// </summary>
    /// <exception cref="ArgumentException">When the architecture is not valid; lists every problem.</exception>
    public DannNetwork(NetworkSpec spec) : base(nameof(DannNetwork))
    {
        ArgumentNullException.ThrowIfNull(spec);
        var problems = spec.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid network: " + string.Join("; ", problems) + ".", nameof(spec));
        }

        Spec = spec;
        input = new InputStandardizer(spec.SampleShape, spec.Standardization);
        features = spec.Extractor switch
        {
            MlpExtractorSpec mlp => new MlpExtractor(spec.SampleShape[0], mlp),
            _ => throw new ArgumentException($"Unknown extractor {spec.Extractor.GetType().Name}.", nameof(spec)),
        };
        int featureSize = spec.Extractor.FeatureSize(spec.SampleShape);
        label = new LabelHead(featureSize, spec.ClassCount);
        domain = new DomainHead(spec.DomainInputSize(featureSize), spec.DomainHiddenSizes, spec.DomainCount);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>The input standardisation (fitted on the source by the trainer, loaded with <see cref="InputStandardizer.Load"/>).</summary>
    public InputStandardizer Standardizer => input;

    /// <summary>Standardises raw inputs <c>(batch, …sample shape)</c>.</summary>
    public Tensor Standardize(Tensor raw) => input.forward(raw);

    /// <summary>Features of standardised inputs: <c>(batch, feature size)</c>.</summary>
    public Tensor Features(Tensor standardized) => features.forward(standardized);

    /// <summary>Class logits of features: <c>(batch, classes)</c>.</summary>
    public Tensor ClassLogits(Tensor featureBatch) => label.forward(featureBatch);

    /// <summary>
    /// Domain logits of features through gradient reversal with factor <paramref name="lambda"/>:
    /// <c>(batch, domains)</c>. When the domain head reads the <see cref="DomainHeadInput.MultilinearMap"/>
    /// (CDAN), it reads the reversed features' map with their class probabilities (no gradient through those).
    /// </summary>
    public Tensor DomainLogits(Tensor featureBatch, double lambda)
    {
        var reversed = GradientReversal.Apply(featureBatch, lambda);
        if (Spec.DomainInput != DomainHeadInput.MultilinearMap)
        {
            return domain.forward(reversed);
        }

        Tensor probabilities;
        using (no_grad())
        {
            probabilities = MultilinearMap.Probabilities(label.forward(featureBatch));
        }

        return domain.forward(MultilinearMap.Apply(reversed, probabilities));
    }

    /// <summary>Class logits of raw inputs: standardise → extract → label head.</summary>
    public override Tensor forward(Tensor raw) => label.forward(features.forward(input.forward(raw)));

    /// <summary>Copies parameter values in by name (<c>features.layers.0.weight</c>, …); every parameter must be given, with its shape.</summary>
    /// <exception cref="ArgumentException">When a parameter is missing, unknown or misshapen.</exception>
    internal void LoadParameters(IReadOnlyDictionary<string, (float[] Values, long[] Shape)> values)
    {
        using var noGrad = no_grad();
        var parameters = named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var unknown = values.Keys.Except(parameters.Keys).ToArray();
        var missing = parameters.Keys.Except(values.Keys).ToArray();
        if (unknown.Length > 0 || missing.Length > 0)
        {
            throw new ArgumentException($"parameters do not match the network: missing [{string.Join(", ", missing)}], unknown [{string.Join(", ", unknown)}].", nameof(values));
        }

        foreach (var (name, parameter) in parameters)
        {
            var (data, shape) = values[name];
            if (!shape.SequenceEqual(parameter.shape))
            {
                throw new ArgumentException($"parameter {name} is [{string.Join(", ", parameter.shape)}], got [{string.Join(", ", shape)}].", nameof(values));
            }

            using var t = tensor(data, shape);
            parameter.copy_(t);
        }
    }
}
