// The stacked trainer's parameter layout: each member initialised as a DannNetwork from its seed, the
// stacked layers (members, in, out), and a member copied out by DannNetwork parameter name.
using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

public static partial class StackedMlpTrainer
{
    private static StackLayers CreateLayers(MemberPlan[] plans, int features, int[] hidden, int classes, int[] domainHidden, int domains, bool conditional)
    {
        // Each member is initialised as DannNetwork.Initialize would initialise it from the member's seed:
        // layer by layer in module order (extractor, label head, domain head), weight then bias, U(±1/√fan_in).
        int m = plans.Length;
        var shapes = new List<(int In, int Out)>();
        int width = features;
        foreach (int h in hidden)
        {
            shapes.Add((width, h));
            width = h;
        }

        int featureSize = width;
        shapes.Add((featureSize, classes));
        // The domain head reads the features, or (CDAN) their multilinear map with the class probabilities.
        width = conditional ? featureSize * classes : featureSize;
        foreach (int h in domainHidden)
        {
            shapes.Add((width, h));
            width = h;
        }

        shapes.Add((width, domains));
        var weights = shapes.Select(s => new float[m * s.In * s.Out]).ToArray();
        var biases = shapes.Select(s => new float[m * s.Out]).ToArray();
        using (no_grad())
        {
            for (int k = 0; k < m; k++)
            {
                using var generator = new Generator((ulong)plans[k].Options.Seed);
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

        StackLinear Make(int l) => new(
            new TorchSharp.Modules.Parameter(tensor(weights[l], [m, shapes[l].In, shapes[l].Out])),
            new TorchSharp.Modules.Parameter(tensor(biases[l], [m, 1, shapes[l].Out])));
        var hiddenLayers = Enumerable.Range(0, hidden.Length).Select(Make).ToArray();
        var label = Make(hidden.Length);
        var domainLayers = Enumerable.Range(hidden.Length + 1, domainHidden.Length).Select(Make).ToArray();
        var domainOutput = Make(shapes.Count - 1);
        return new StackLayers(hiddenLayers, label, domainLayers, domainOutput, conditional);
    }

    /// <summary>A stacked linear layer: weights <c>(members, in, out)</c>, biases <c>(members, 1, out)</c>.</summary>
    private sealed record StackLinear(TorchSharp.Modules.Parameter Weight, TorchSharp.Modules.Parameter Bias)
    {
        public Tensor Apply(Tensor x)
        {
            using var one = 1.ToScalar();
            return Apply(x, one);
        }

        /// <summary><c>x · W + b</c>; <paramref name="one"/>: an explicit alpha 1 the caller keeps alive (add_(tensor) would pass an implicit one, which can be freed mid-call; see FlatSgd).</summary>
        public Tensor Apply(Tensor x, Scalar one) => x.bmm(Weight).add_(Bias, one);
    }

    /// <summary>The stacked network; <paramref name="Conditional"/>: the domain head reads the multilinear map of features and class probabilities (CDAN).</summary>
    private sealed record StackLayers(StackLinear[] Hidden, StackLinear Label, StackLinear[] DomainHidden, StackLinear DomainOutput, bool Conditional)
    {
        public IEnumerable<TorchSharp.Modules.Parameter> All =>
            Hidden.Append(Label).Concat(DomainHidden).Append(DomainOutput).SelectMany(l => new[] { l.Weight, l.Bias });

        public Tensor Features(Tensor x)
        {
            var h = x;
            foreach (var layer in Hidden)
            {
                h = layer.Apply(h).relu_();
            }

            return h;
        }

        /// <summary>Domain logits <c>(members, rows, domains)</c> of features <c>(members, rows, hidden)</c> (reversed while training).</summary>
        public Tensor ApplyDomain(Tensor features)
        {
            using var one = 1.ToScalar();
            return ApplyDomain(features, one);
        }

        /// <summary>As <see cref="ApplyDomain(Tensor)"/>, with the caller's kept-alive alpha 1 (see <see cref="StackLinear.Apply(Tensor, Scalar)"/>).</summary>
        public Tensor ApplyDomain(Tensor features, Scalar one)
        {
            var h = features;
            if (Conditional)
            {
                // The probabilities from the same values (reversal is the identity forward), as a constant of the map.
                Tensor probabilities;
                using (no_grad())
                {
                    probabilities = MultilinearMap.Probabilities(Label.Apply(features, one));
                }

                // (members, rows, classes · hidden)
                h = MultilinearMap.Apply(features, probabilities);
            }

            foreach (var layer in DomainHidden)
            {
                h = layer.Apply(h, one).relu_();
            }

            return DomainOutput.Apply(h, one);
        }

        public bool[] FiniteByMember()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int m = (int)Label.Weight.shape[0];
            var finite = ones(m, dtype: ScalarType.Bool);
            foreach (var p in All)
            {
                finite = finite.logical_and(p.isfinite().view(m, -1).all(1));
            }

            return finite.ToHostArray<bool>();
        }

        /// <summary>Member <paramref name="k"/>'s parameters, copied out of the stack in the network's layout (<c>(out, in)</c> weights).</summary>
        public MemberWeights Snapshot(int k)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var values = new Dictionary<string, (float[] Values, long[] Shape)>(StringComparer.Ordinal);
            void Add(string name, StackLinear layer)
            {
                var w = layer.Weight[k].t().contiguous();
                values[name + ".weight"] = (w.ToHostArray<float>(), w.shape);
                var b = layer.Bias[k].reshape(-1).contiguous();
                values[name + ".bias"] = (b.ToHostArray<float>(), b.shape);
            }

            for (int l = 0; l < Hidden.Length; l++)
            {
                Add($"features.layers.{l}", Hidden[l]);
            }

            Add("label.output", Label);
            for (int l = 0; l < DomainHidden.Length; l++)
            {
                Add($"domain.hidden.{l}", DomainHidden[l]);
            }

            Add("domain.output", DomainOutput);
            return new MemberWeights(values);
        }
    }

    /// <summary>One member's trained parameters, by <see cref="DannNetwork"/> parameter name.</summary>
    private sealed record MemberWeights(IReadOnlyDictionary<string, (float[] Values, long[] Shape)> Parameters)
    {
        /// <summary>The member as a standalone <see cref="TrainedModel"/> (created outside any dispose scope: the caller owns it).</summary>
        public TrainedModel ToModel(NetworkSpec spec, (float[] Mean, float[] Scale) standardizer, IReadOnlyList<string> classNames, TrainingRecord record)
        {
            var network = new DannNetwork(spec);
            try
            {
                network.LoadParameters(Parameters);
                network.Standardizer.Load(standardizer.Mean, standardizer.Scale);
                return new TrainedModel(network, classNames, record);
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
    }
}
