using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EegDann.Model;

/// <summary>
/// Several <see cref="DannNetwork"/>s of one architecture (an MLP extractor) as one module, for training them as one
/// batched computation: every parameter and buffer of the network under the network's own name
/// (<c>input.mean</c>, <c>features.layers.0.weight</c>, …, <c>domain.output.bias</c>) with a leading member axis,
/// member k's value being slice k transposed. A layer computes <c>x · Wᵀ + b</c> for every member in one batched
/// product <c>x · W</c>, so a weight <c>(out, in)</c> is held as <c>(members, in, out)</c>, and a vector <c>(n)</c>
/// (a bias, a standardiser's mean or scale) as <c>(members, 1, n)</c>, broadcast over a member's rows.
/// </summary>
/// <remarks>
/// The trainer's network (<see cref="StackedMlpTrainer"/>; one network is a stack of one). Here are the initialisation,
/// the standardisation of inputs (the network's own <see cref="InputStandardizer"/>), the layers, the application of
/// dropout masks (drawn by the trainer from each member's seed) and the domain head's input; <see cref="Member"/> copies
/// member k into a decoding <see cref="DannNetwork"/> name by name.
/// </remarks>
internal sealed class StackedDannNetwork : Module
{
    private readonly InputStandardizer input;
    private readonly Part features;
    private readonly Part label;
    private readonly Part domain;

    // The same layers as the parts hold, in call order, for the forward pass (arrays: RegisterComponents registers only the parts).
    private readonly StackedLinear[] hiddenLayers;
    private readonly StackedLinear[] labelLayer;
    private readonly StackedLinear[] domainLayers;

    /// <summary>
    /// Builds the stack of <paramref name="seeds"/>.Length members of <paramref name="spec"/>, member k initialised from
    /// <paramref name="seeds"/>[k] alone: layer by layer in module order (extractor, label head, domain head), weight then
    /// bias, each drawn <c>U(±1/√fan_in)</c> (libtorch's default for a linear layer) from a generator seeded by the member's seed.
    /// </summary>
    /// <exception cref="ArgumentException">When the architecture is not valid or its extractor is not an MLP.</exception>
    public StackedDannNetwork(NetworkSpec spec, IReadOnlyList<int> seeds) : base(nameof(StackedDannNetwork))
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(seeds);
        var problems = spec.Validate().ToList();
        if (spec.Extractor is not MlpExtractorSpec)
        {
            problems.Add("a stack holds MLP extractors only");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid stacked network: " + string.Join("; ", problems) + ".", nameof(spec));
        }

        Spec = spec;
        var hidden = ((MlpExtractorSpec)spec.Extractor).HiddenSizes;
        int m = seeds.Count;
        var shapes = new List<(int In, int Out)>();
        int width = spec.SampleShape[0];
        foreach (int h in hidden)
        {
            shapes.Add((width, h));
            width = h;
        }

        int featureSize = width;
        shapes.Add((featureSize, spec.ClassCount));
        // The domain head reads the features, or (CDAN) their multilinear map with the class probabilities.
        width = spec.DomainInputSize(featureSize);
        foreach (int h in spec.DomainHiddenSizes)
        {
            shapes.Add((width, h));
            width = h;
        }

        shapes.Add((width, spec.DomainCount));
        var weights = shapes.Select(s => new float[m * s.In * s.Out]).ToArray();
        var biases = shapes.Select(s => new float[m * s.Out]).ToArray();
        using (no_grad())
        using (NewDisposeScope())
        {
            // Every temporary of the initialisation is held by the scope until its values are copied out (see
            // MlpForward.Layer.From); the parameters are made from the copies below, outside it.
            for (int k = 0; k < m; k++)
            {
                using var generator = new Generator((ulong)seeds[k]);
                for (int l = 0; l < shapes.Count; l++)
                {
                    var (inputs, outputs) = shapes[l];
                    double bound = 1.0 / Math.Sqrt(inputs);
                    using var w = empty(outputs, inputs, device: CPU).uniform_(-bound, bound, generator);
                    using var b = empty(outputs, device: CPU).uniform_(-bound, bound, generator);
                    using var wt = w.t().contiguous();
                    wt.CopyToHost(weights[l].AsSpan(k * inputs * outputs, inputs * outputs));
                    b.CopyToHost(biases[l].AsSpan(k * outputs, outputs));
                }
            }
        }

        StackedLinear Layer(int l) => new(tensor(weights[l], [m, shapes[l].In, shapes[l].Out]), tensor(biases[l], [m, 1, shapes[l].Out]));
        hiddenLayers = Enumerable.Range(0, hidden.Count).Select(Layer).ToArray();
        labelLayer = [Layer(hidden.Count)];
        domainLayers = Enumerable.Range(hidden.Count + 1, spec.DomainHiddenSizes.Count + 1).Select(Layer).ToArray();

        // The parts as DannNetwork names them: MlpExtractor's layers, LabelHead's output, DomainHead's hidden and output.
        input = InputStandardizer.Stacked(m, spec.SampleShape[0], spec.Standardization);
        features = new Part(("layers", ModuleList(hiddenLayers)));
        label = new Part(("output", labelLayer[0]));
        domain = new Part(("hidden", ModuleList(domainLayers[..^1])), ("output", domainLayers[^1]));
        Members = m;
        RegisterComponents();
    }

    /// <summary>The architecture of every member.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>Number of members.</summary>
    public int Members { get; }

    /// <summary>The members' input standardisation (buffers <c>(members, 1, features)</c>; load the fits member after member).</summary>
    public InputStandardizer Standardizer => input;

    /// <summary>Standardises raw inputs <c>(members, rows, features)</c>, each member's rows with its own statistics.</summary>
    public Tensor Standardize(Tensor raw) => input.forward(raw);

    /// <summary>
    /// Features <c>(members, rows, hidden[^1])</c> of standardised inputs <c>(members, rows, features)</c>: <c>Linear → ReLU</c>
    /// per hidden layer, each followed while training by its dropout mask (<paramref name="dropout"/>[layer], <c>(members, rows,
    /// hidden[layer])</c>, scaled by 1/keep), or none. <paramref name="one"/>: an explicit alpha 1 the caller keeps alive
    /// (add_(tensor) would pass an implicit one, which can be freed mid-call; see <see cref="FlatSgd"/>).
    /// </summary>
    public Tensor Features(Tensor x, Scalar one, IReadOnlyList<Tensor>? dropout = null)
    {
        var h = x;
        for (int layer = 0; layer < hiddenLayers.Length; layer++)
        {
            h = hiddenLayers[layer].forward(h, one).relu_();
            if (dropout is not null)
            {
                h = h.mul(dropout[layer]);
            }
        }

        return h;
    }

    /// <summary>Class logits <c>(members, rows, classes)</c> of features <c>(members, rows, hidden[^1])</c>.</summary>
    public Tensor ClassLogits(Tensor featureBatch, Scalar one) => labelLayer[0].forward(featureBatch, one);

    /// <summary>
    /// Domain logits <c>(members, rows, domains)</c> of features <c>(members, rows, hidden[^1])</c> (reversed while training).
    /// When the domain head reads the <see cref="DomainHeadInput.MultilinearMap"/> (CDAN), it reads the map of the features
    /// with their class probabilities (no gradient through those), as <see cref="DannNetwork.DomainLogits"/> does.
    /// </summary>
    public Tensor DomainLogits(Tensor featureBatch, Scalar one)
    {
        var h = featureBatch;
        if (Spec.DomainInput == DomainHeadInput.MultilinearMap)
        {
            // The probabilities from the same values (reversal is the identity forward), as a constant of the map.
            Tensor probabilities;
            using (no_grad())
            {
                probabilities = MultilinearMap.Probabilities(ClassLogits(featureBatch, one));
            }

            // (members, rows, classes · hidden)
            h = MultilinearMap.Apply(featureBatch, probabilities);
        }

        for (int layer = 0; layer < domainLayers.Length - 1; layer++)
        {
            h = domainLayers[layer].forward(h, one).relu_();
        }

        return domainLayers[^1].forward(h, one);
    }

    /// <summary>Per member: whether all its parameters are finite.</summary>
    public bool[] FiniteByMember()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var finite = ones(Members, dtype: ScalarType.Bool);
        foreach (var p in parameters())
        {
            finite = finite.logical_and(p.isfinite().view(Members, -1).all(1));
        }

        return finite.ToHostArray<bool>();
    }

    /// <summary>
    /// Member <paramref name="k"/> as a decoding network of <paramref name="spec"/> (the member's own architecture: the
    /// stack's, perhaps with other class names): every parameter and buffer copied by name from slice k, transposed.
    /// Created outside any dispose scope: the caller owns it.
    /// </summary>
    /// <exception cref="InvalidOperationException">When the network's names or shapes are not the stack's.</exception>
    public DannNetwork Member(int k, NetworkSpec spec)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(k, Members);
        var network = new DannNetwork(spec);
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var stacked = state_dict();
            var target = network.state_dict();
            var missing = target.Keys.Except(stacked.Keys).ToArray();
            var unknown = stacked.Keys.Except(target.Keys).ToArray();
            if (missing.Length > 0 || unknown.Length > 0)
            {
                throw new InvalidOperationException($"the stack does not hold the network's state: missing [{string.Join(", ", missing)}], unknown [{string.Join(", ", unknown)}].");
            }

            foreach (var (name, value) in target)
            {
                // Slice k transposed: (in, out) → (out, in) for a weight, (1, n) → (n, 1) for a vector.
                var slice = stacked[name][k].t();
                if (slice.shape[0] != value.shape[0] || slice.numel() != value.numel())
                {
                    throw new InvalidOperationException($"{name}: the network's is [{string.Join(", ", value.shape)}], member {k}'s [{string.Join(", ", slice.shape)}].");
                }

                value.copy_(slice.reshape(value.shape));
            }

            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>A part of the network (extractor, label head, domain head) holding its layers under the names its <see cref="DannNetwork"/> counterpart gives them.</summary>
    private sealed class Part : Module
    {
        public Part(params (string Name, Module Module)[] children) : base(nameof(Part))
        {
            foreach (var (name, module) in children)
            {
                register_module(name, module);
            }
        }
    }
}

/// <summary>
/// A linear layer of every member of a stack: <c>weight</c> <c>(members, in, out)</c> and <c>bias</c> <c>(members, 1, out)</c>,
/// member k's <see cref="TorchSharp.Modules.Linear"/> weight and bias transposed; inputs <c>(members, rows, in)</c>.
/// </summary>
internal sealed class StackedLinear : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    /// <summary>Takes <paramref name="weight"/> <c>(members, in, out)</c> and <paramref name="bias"/> <c>(members, 1, out)</c> as its parameters.</summary>
    public StackedLinear(Tensor weight, Tensor bias) : base(nameof(StackedLinear))
    {
        this.weight = new Parameter(weight);
        this.bias = new Parameter(bias);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var one = 1.ToScalar();
        return forward(input, one);
    }

    /// <summary><c>x · W + b</c>; <paramref name="one"/>: an explicit alpha 1 the caller keeps alive (add_(tensor) would pass an implicit one, which can be freed mid-call; see <see cref="FlatSgd"/>).</summary>
    public Tensor forward(Tensor input, Scalar one) => input.bmm(weight).add_(bias, one);
}
