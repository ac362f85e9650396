using System.Numerics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>
/// The forward pass of an MLP <see cref="DannNetwork"/> for one sample in managed code, for the live
/// decoder: standardise → <c>Linear → ReLU</c> per hidden layer → label head → softmax, the same
/// operations as <see cref="DannNetwork.forward"/> followed by <c>softmax</c>, on a copy of the
/// weights taken when it is built. It allocates nothing per sample: libtorch's forward pass costs a
/// managed tensor object per operation (about 2.5 kB per window), which the control path must not.
/// Its probabilities equal libtorch's up to float rounding (the dot products sum in another order;
/// <c>MlpForwardTests</c>). Not thread-safe: one per thread, as <see cref="ModelPredictor"/>.
/// </summary>
internal sealed class MlpForward
{
    private readonly float[]? mean;
    private readonly float[]? scale;
    private readonly Layer[] layers;
    private readonly float[][] activations;

    private MlpForward(float[]? mean, float[]? scale, Layer[] layers)
    {
        this.mean = mean;
        this.scale = scale;
        this.layers = layers;
        activations = [new float[layers[0].Inputs], .. layers.Select(l => new float[l.Outputs])];
    }

    /// <summary>Number of values in one input sample.</summary>
    public int InputSize => layers[0].Inputs;

    /// <summary>Number of classes.</summary>
    public int ClassCount => layers[^1].Outputs;

    /// <summary>
    /// The forward pass of <paramref name="network"/> (its weights as they are now), or null when its
    /// extractor is not an MLP on feature vectors.
    /// </summary>
    public static MlpForward? TryCreate(DannNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.Spec.Extractor is not MlpExtractorSpec mlp || network.Spec.SampleShape.Count != 1)
        {
            return null;
        }

        var parameters = network.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var layers = new Layer[mlp.HiddenSizes.Count + 1];
        for (int l = 0; l < mlp.HiddenSizes.Count; l++)
        {
            layers[l] = Layer.From(parameters[$"features.layers.{l}.weight"], parameters[$"features.layers.{l}.bias"], relu: true);
        }

        layers[^1] = Layer.From(parameters["label.output.weight"], parameters["label.output.bias"], relu: false);
        var standardizer = network.Standardizer;
        return standardizer.Enabled
            ? new MlpForward(standardizer.Mean, standardizer.Scale, layers)
            : new MlpForward(null, null, layers);
    }

    /// <summary>Class probabilities of one sample into <paramref name="probabilities"/>.</summary>
    public void Probabilities(ReadOnlySpan<float> sample, Span<float> probabilities)
    {
        var x = activations[0].AsSpan();
        if (mean is null)
        {
            sample.CopyTo(x);
        }
        else
        {
            // (x − mean) / scale, as InputStandardizer: a subtraction, then a division.
            for (int j = 0; j < x.Length; j++)
            {
                x[j] = (sample[j] - mean[j]) / scale![j];
            }
        }

        for (int l = 0; l < layers.Length; l++)
        {
            layers[l].Apply(activations[l], activations[l + 1]);
        }

        // softmax as libtorch computes it: exp(z − max z) / Σ exp(z − max z).
        var logits = activations[^1].AsSpan();
        float max = logits[0];
        for (int k = 1; k < logits.Length; k++)
        {
            max = MathF.Max(max, logits[k]);
        }

        float sum = 0f;
        for (int k = 0; k < logits.Length; k++)
        {
            probabilities[k] = MathF.Exp(logits[k] - max);
            sum += probabilities[k];
        }

        for (int k = 0; k < logits.Length; k++)
        {
            probabilities[k] /= sum;
        }
    }

    /// <summary>One linear layer <c>y = W·x + b</c> (W row-major, <c>(outputs, inputs)</c>), optionally followed by ReLU.</summary>
    private sealed class Layer(float[] weight, float[] bias, int inputs, bool relu)
    {
        public int Inputs => inputs;

        public int Outputs => bias.Length;

        public static Layer From(Tensor weight, Tensor bias, bool relu)
        {
            // In a dispose scope: detach()'s result is a temporary that only contiguous() reads; outside a scope
            // nothing would hold it during that native call, and a garbage collection could let the finalizer free
            // its native tensor while the call reads it.
            using var scope = NewDisposeScope();
            var w = weight.detach().contiguous();
            var b = bias.detach().contiguous();
            return new Layer(w.ToHostArray<float>(), b.ToHostArray<float>(), (int)weight.shape[1], relu);
        }

        public void Apply(ReadOnlySpan<float> x, Span<float> y)
        {
            for (int o = 0; o < y.Length; o++)
            {
                float v = Dot(weight.AsSpan(o * inputs, inputs), x) + bias[o];
                y[o] = relu && !(v > 0f) && !float.IsNaN(v) ? 0f : v;
            }
        }

        private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        {
            int i = 0;
            float sum = 0f;
            if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
            {
                var va = MemoryMarshal.Cast<float, Vector<float>>(a);
                var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
                var acc = Vector<float>.Zero;
                for (int v = 0; v < va.Length; v++)
                {
                    acc += va[v] * vb[v];
                }

                sum = Vector.Sum(acc);
                i = va.Length * Vector<float>.Count;
            }

            for (; i < a.Length; i++)
            {
                sum += a[i] * b[i];
            }

            return sum;
        }
    }
}
