using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EegDann.Model;

/// <summary>
/// Input standardisation as part of the network: <c>(x − mean) / scale</c> with buffers fitted on
/// the source (by the trainer, <see cref="Load"/>) and saved with the weights, so decoding applies exactly what
/// training applied. Per feature for feature vectors, per channel for windows; the identity when
/// the network does not standardise.
/// </summary>
public sealed class InputStandardizer : Module<Tensor, Tensor>
{
    private readonly Tensor mean;
    private readonly Tensor scale;
    private readonly bool enabled;

    /// <summary>Creates an unfitted standardiser (mean 0, scale 1) for samples of <paramref name="sampleShape"/>.</summary>
    public InputStandardizer(IReadOnlyList<int> sampleShape, InputStandardization kind)
        // Feature vectors: (features); windows: (channels, 1), broadcast over samples.
        : this(sampleShape.Count == 1 ? new long[] { sampleShape[0] } : new long[] { sampleShape[0], 1 }, kind)
    {
    }

    private InputStandardizer(long[] shape, InputStandardization kind) : base(nameof(InputStandardizer))
    {
        mean = zeros(shape);
        scale = ones(shape);
        enabled = kind == InputStandardization.ZScore;
        RegisterComponents();
    }

    /// <summary>
    /// The standardisers of <paramref name="members"/> networks on feature vectors of <paramref name="features"/>
    /// values, as one: buffers <c>(members, 1, features)</c>, member k's in slice k, for inputs <c>(members, rows, features)</c>.
    /// </summary>
    internal static InputStandardizer Stacked(int members, int features, InputStandardization kind) => new(new long[] { members, 1, features }, kind);

    /// <summary>
    /// The one fit of the input standardisation, on the source samples <paramref name="source"/>: per feature, the mean
    /// and the population standard deviation in double precision (scale 1 for a constant feature); mean 0 and scale 1
    /// when <paramref name="kind"/> is <see cref="InputStandardization.None"/>.
    /// </summary>
    internal static (float[] Mean, float[] Scale) Fit(SampleMatrix source, InputStandardization kind)
    {
        int f = source.SampleSize, count = source.Count;
        var meanValues = new float[f];
        var scaleValues = new float[f];
        if (kind == InputStandardization.None)
        {
            Array.Fill(scaleValues, 1f);
            return (meanValues, scaleValues);
        }

        var sum = new double[f];
        for (int i = 0; i < count; i++)
        {
            var row = source.Sample(i);
            for (int j = 0; j < f; j++)
            {
                sum[j] += row[j];
            }
        }

        var mu = sum.Select(v => v / count).ToArray();
        var squares = new double[f];
        for (int i = 0; i < count; i++)
        {
            var row = source.Sample(i);
            for (int j = 0; j < f; j++)
            {
                double d = row[j] - mu[j];
                squares[j] += d * d;
            }
        }

        for (int j = 0; j < f; j++)
        {
            double sd = Math.Sqrt(squares[j] / count);
            meanValues[j] = (float)mu[j];
            scaleValues[j] = sd > 1e-12 ? (float)sd : 1f;
        }

        return (meanValues, scaleValues);
    }

    /// <summary>Whether this standardises (false: the identity).</summary>
    public bool Enabled => enabled;

    /// <summary>The fitted means (copy), per feature or per channel.</summary>
    public float[] Mean => mean.ToHostArray<float>();

    /// <summary>The fitted scales (copy; population standard deviations, 1 where a feature is constant).</summary>
    public float[] Scale => scale.ToHostArray<float>();

    /// <summary>Sets mean and scale to the values <see cref="Fit"/> gave on the source (a stack's: member after member).</summary>
    /// <exception cref="ArgumentException">When the lengths differ from the buffers'.</exception>
    internal void Load(float[] meanValues, float[] scaleValues)
    {
        if (meanValues.Length != mean.numel() || scaleValues.Length != scale.numel())
        {
            throw new ArgumentException($"the standardiser holds {mean.numel()} values, got {meanValues.Length} means and {scaleValues.Length} scales.");
        }

        if (!enabled)
        {
            return;
        }

        using var noGrad = no_grad();
        using var m = tensor(meanValues, mean.shape);
        using var s = tensor(scaleValues, scale.shape);
        mean.copy_(m);
        scale.copy_(s);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => enabled ? input.sub(mean).div_(scale) : input;
}

/// <summary>
/// The MLP feature extractor: <c>Linear → ReLU</c> per hidden layer (<see cref="MlpExtractorSpec"/>).
/// Dropout exists only while training, in <see cref="StackedDannNetwork.Features"/>; this module decodes.
/// </summary>
public sealed class MlpExtractor : Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> layers;

    /// <summary>Builds the extractor for feature vectors of <paramref name="inputSize"/> values.</summary>
    public MlpExtractor(int inputSize, MlpExtractorSpec spec) : base(nameof(MlpExtractor))
    {
        ArgumentNullException.ThrowIfNull(spec);
        var linear = new List<Linear>();
        int width = inputSize;
        foreach (int hidden in spec.HiddenSizes)
        {
            linear.Add(Linear(width, hidden));
            width = hidden;
        }

        layers = ModuleList(linear.ToArray());
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        // (batch, features) → (batch, hidden[^1])
        var x = input;
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].forward(x).relu_();
        }

        return x;
    }
}

/// <summary>The label head: one linear layer from features to class logits.</summary>
public sealed class LabelHead : Module<Tensor, Tensor>
{
    private readonly Linear output;

    /// <summary>Builds the head.</summary>
    public LabelHead(int featureSize, int classCount) : base(nameof(LabelHead))
    {
        output = Linear(featureSize, classCount);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor features) => output.forward(features);
}

/// <summary>The domain head: <c>Linear → ReLU</c> per hidden width, then a linear layer to domain logits.</summary>
public sealed class DomainHead : Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> hidden;
    private readonly Linear output;

    /// <summary>Builds the head.</summary>
    public DomainHead(int featureSize, IReadOnlyList<int> hiddenSizes, int domainCount) : base(nameof(DomainHead))
    {
        var linear = new List<Linear>();
        int width = featureSize;
        foreach (int h in hiddenSizes)
        {
            linear.Add(Linear(width, h));
            width = h;
        }

        hidden = ModuleList(linear.ToArray());
        output = Linear(width, domainCount);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor features)
    {
        var x = features;
        for (int i = 0; i < hidden.Count; i++)
        {
            x = hidden[i].forward(x).relu_();
        }

        return output.forward(x);
    }
}
