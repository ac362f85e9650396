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
    public InputStandardizer(IReadOnlyList<int> sampleShape, InputStandardization kind) : base(nameof(InputStandardizer))
    {
        // Feature vectors: (features); windows: (channels, 1), broadcast over samples.
        long[] shape = sampleShape.Count == 1 ? [sampleShape[0]] : [sampleShape[0], 1];
        mean = zeros(shape);
        scale = ones(shape);
        enabled = kind == InputStandardization.ZScore;
        RegisterComponents();
    }

    /// <summary>Whether this standardises (false: the identity).</summary>
    public bool Enabled => enabled;

    /// <summary>The fitted means (copy), per feature or per channel.</summary>
    public float[] Mean => mean.ToHostArray<float>();

    /// <summary>The fitted scales (copy; population standard deviations, 1 where a feature is constant).</summary>
    public float[] Scale => scale.ToHostArray<float>();

    /// <summary>Sets mean and scale to the values the trainer fitted on the source (double precision, population standard deviation, 1 for a constant feature).</summary>
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
/// Dropout exists only while training, in <see cref="StackedMlpTrainer"/>; this module decodes.
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

/// <summary>
/// Dropout drawing its mask from an explicit <see cref="Generator"/> (set by the trainer), so that
/// training is reproducible from the seed alone and independent of libtorch's global generator.
/// The identity in evaluation mode.
/// </summary>
public sealed class SeededDropout : Module<Tensor, Tensor>
{
    private readonly double probability;

    /// <summary>Creates the layer.</summary>
    /// <param name="probability">Probability of zeroing a value while training, in [0, 1).</param>
    public SeededDropout(double probability) : base(nameof(SeededDropout))
    {
        if (!(probability >= 0 && probability < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "Dropout probability must be in [0, 1).");
        }

        this.probability = probability;
        RegisterComponents();
    }

    /// <summary>The generator masks are drawn from while training; null uses libtorch's global generator.</summary>
    public Generator? Generator { get; set; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (!training || probability == 0)
        {
            return input;
        }

        double keep = 1 - probability;
        // An explicit scalar kept alive to the end (see FlatSgd: an implicit one can be freed mid-call when another thread allocates).
        using var keepScalar = keep.ToScalar();
        var mask = empty_like(input).bernoulli_(keep, Generator).div_(keepScalar);
        return input.mul(mask);
    }
}

/// <summary>The compact convolutional extractor on windows (<see cref="ConvExtractorSpec"/>).</summary>
public sealed class ConvExtractor : Module<Tensor, Tensor>
{
    private readonly Conv1d spatial;
    private readonly Conv1d temporal;
    private readonly BatchNorm1d norm;
    private readonly SeededDropout dropout;
    private readonly long poolLength;
    private readonly long poolStride;

    /// <summary>Builds the extractor for windows of <paramref name="channels"/> × any length.</summary>
    public ConvExtractor(int channels, ConvExtractorSpec spec) : base(nameof(ConvExtractor))
    {
        ArgumentNullException.ThrowIfNull(spec);
        spatial = Conv1d(channels, spec.SpatialFilters, 1, bias: false);
        temporal = Conv1d(spec.SpatialFilters, spec.TemporalFilters, spec.TemporalKernel, bias: false);
        norm = BatchNorm1d(spec.TemporalFilters);
        dropout = new SeededDropout(spec.Dropout);
        poolLength = spec.PoolLength;
        poolStride = spec.PoolStride;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        // Explicit scalars kept alive to the end (an implicit one, also the 2 inside square(), can be freed mid-call when another thread allocates; see FlatSgd).
        using var two = 2.ToScalar();
        using var floor = 1e-6.ToScalar();
        var x = spatial.forward(input);                 // (batch, spatial filters, samples)
        x = Normalize(temporal.forward(x));             // (batch, temporal filters, samples − kernel + 1)
        x = functional.avg_pool1d(x.pow(two), poolLength, poolStride); // (batch, temporal filters, pooled)
        x = x.clamp_min(floor).log_();
        return dropout.forward(x).flatten(1);           // (batch, temporal filters · pooled)
    }

    /// <summary>
    /// <see cref="TorchSharp.Modules.BatchNorm1d"/>'s forward pass, step for step, except that counting the batch uses
    /// explicit, kept-alive scalars: TorchSharp's own forward adds an implicit <c>1</c> to
    /// <c>num_batches_tracked</c> while training, which another thread's collection can free mid-call.
    /// </summary>
    private Tensor Normalize(Tensor input)
    {
        if (input.dim() != 2 && input.dim() != 3)
        {
            throw new ArgumentException($"Expected 2D or 3D input to the batch normalisation, got {input.dim()}D.", nameof(input));
        }

        double momentum = norm.momentum ?? 0.0;
        if (training && norm.track_running_stats && norm.num_batches_tracked is { } tracked)
        {
            using var one = 1.ToScalar();
            tracked.add_(one, one);
            momentum = norm.momentum ?? 1.0 / (double)tracked;
        }

        bool batchStatistics = training || (norm.running_mean is null && norm.running_var is null);
        bool useRunning = !training || norm.track_running_stats;
        return functional.batch_norm(input, useRunning ? norm.running_mean : null, useRunning ? norm.running_var : null, norm.weight, norm.bias, batchStatistics, momentum, norm.eps);
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
