using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>How the importance weights of the source came out.</summary>
/// <param name="Minimum">Smallest weight.</param>
/// <param name="Maximum">Largest weight (≤ the clip).</param>
/// <param name="EffectiveSampleSize">(Σw)²/Σw²: how many equally weighted samples the weighted source is worth.</param>
/// <param name="Clipped">Number of weights held at the clip.</param>
/// <param name="DomainClassifierAccuracy">Balanced training accuracy of the source-vs-target classifier (0.5: the domains look alike).</param>
public sealed record ImportanceWeightSummary(double Minimum, double Maximum, double EffectiveSampleSize, int Clipped, double DomainClassifierAccuracy);

/// <summary>Per-source-sample weights and their summary.</summary>
/// <param name="Weights">One weight per source sample, mean 1, each in [0, clip].</param>
/// <param name="Summary">Their summary.</param>
public sealed record ImportanceWeights(float[] Weights, ImportanceWeightSummary Summary);

/// <summary>
/// The sample-reweighting baseline's weights: a logistic-regression domain classifier trained to
/// tell target (1) from source (0) gives each source sample p/(1−p) = exp(logit), proportional to
/// the density ratio p_target(x)/p_source(x); the weights are normalised to mean 1 and clipped.
/// </summary>
/// <remarks>
/// Covariate-shift correction (Shimodaira 2000; Bickel et al. 2007), the baseline of Ganin &amp;
/// Lempitsky's article. The classifier reads the inputs standardised with source statistics; for
/// windows (channels × samples) it reads each channel's log-variance instead of raw samples. It is
/// fitted by accelerated gradient descent (Nesterov, adaptive restart) on the L2-regularised mean
/// log-loss with scikit-learn's convention for <c>C</c>, in double precision — deterministic.
/// </remarks>
public static class ImportanceWeighting
{
    private const int Iterations = 1000;

    /// <summary>Computes the weights of <paramref name="source"/> samples with respect to <paramref name="target"/>.</summary>
    /// <param name="source">Source samples (≥ 1).</param>
    /// <param name="target">Target samples (≥ 1), same sample shape.</param>
    /// <param name="clip">Largest weight, ≥ 1.</param>
    /// <param name="c">Inverse regularisation strength, &gt; 0.</param>
    public static ImportanceWeights Compute(SampleMatrix source, SampleMatrix target, double clip = 10.0, double c = 1.0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (source.Count == 0 || target.Count == 0)
        {
            throw new ArgumentException("Reweighting needs at least one source and one target sample.");
        }

        if (!source.SampleShape.SequenceEqual(target.SampleShape))
        {
            throw new ArgumentException("Source and target samples differ in shape.");
        }

        if (!(clip >= 1) || double.IsInfinity(clip))
        {
            throw new ArgumentOutOfRangeException(nameof(clip), clip, "The clip must be a finite number ≥ 1.");
        }

        if (!(c > 0) || double.IsInfinity(c))
        {
            throw new ArgumentOutOfRangeException(nameof(c), c, "C must be a finite number > 0.");
        }

        double[] logits;
        double accuracy;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            // Explicit scalars kept alive to the end (see FlatSgd: an implicit one, also the alpha 1 TorchSharp's
            // add_(tensor) creates, can be freed mid-call when another thread allocates).
            using var one = 1.ToScalar();
            using var zero = 0.ToScalar();
            using var tiny = 1e-12.ToScalar();
            var xs = Describe(source);
            var xt = Describe(target);
            var mean = xs.mean([0], keepdim: true);
            var sd = xs.std(0, unbiased: false, keepdim: true);
            sd = where(sd.gt(tiny), sd, ones_like(sd));
            var x = cat([xs, xt], 0).sub_(mean).div_(sd);
            var y = cat([zeros(source.Count, dtype: ScalarType.Float64), ones(target.Count, dtype: ScalarType.Float64)]);
            var (w, b) = FitLogisticRegression(x, y, 1.0 / (c * x.shape[0]));
            var scores = x.matmul(w).add_(b, one);
            logits = scores.narrow(0, 0, source.Count).ToHostArray<double>();
            double sourceCorrect = scores.narrow(0, 0, source.Count).lt(zero).to_type(ScalarType.Float64).mean().item<double>();
            double targetCorrect = scores.narrow(0, source.Count, target.Count).ge(zero).to_type(ScalarType.Float64).mean().item<double>();
            accuracy = (sourceCorrect + targetCorrect) / 2;
        }

        var weights = NormaliseAndClip(logits, clip, out int clipped);
        double sum = 0, sumSquares = 0;
        foreach (double v in weights)
        {
            sum += v;
            sumSquares += v * v;
        }

        var summary = new ImportanceWeightSummary(weights.Min(), weights.Max(), sum * sum / sumSquares, clipped, accuracy);
        return new ImportanceWeights(weights.Select(v => (float)v).ToArray(), summary);
    }

    /// <summary>
    /// Turns logits (log p/(1−p)) into weights exp(logit) scaled to mean 1 with none above
    /// <paramref name="clip"/>: the scale α solves mean(min(α·w, clip)) = 1 exactly.
    /// </summary>
    public static double[] NormaliseAndClip(IReadOnlyList<double> logits, double clip, out int clipped)
    {
        int n = logits.Count;
        double top = logits.Max();
        var raw = logits.Select(l => Math.Exp(l - top)).ToArray(); // in (0, 1], the largest is 1
        var order = Enumerable.Range(0, n).OrderByDescending(i => raw[i]).ThenBy(i => i).ToArray();
        double rest = raw.Sum();
        double alpha = n / rest;
        clipped = 0;
        // Hold the k largest at the clip while the scale that gives mean 1 would push them above it.
        while (clipped < n && alpha * raw[order[clipped]] > clip)
        {
            rest -= raw[order[clipped]];
            clipped++;
            alpha = rest > 0 ? (n - clipped * clip) / rest : 0;
        }

        var weights = new double[n];
        for (int i = 0; i < n; i++)
        {
            weights[i] = Math.Min(alpha * raw[i], clip);
        }

        return weights;
    }

    private static Tensor Describe(SampleMatrix samples)
    {
        var x = tensor(samples.Values, [samples.Count, .. samples.SampleShape.Select(s => (long)s)]).to_type(ScalarType.Float64);
        // Windows (batch, channels, samples): each channel's log-variance.
        using var floor = 1e-20.ToScalar(); // explicit and kept alive (see FlatSgd)
        return x.dim() == 2 ? x : x.var(2, unbiased: false).clamp_min(floor).log_();
    }

    private static (Tensor W, Tensor B) FitLogisticRegression(Tensor x, Tensor y, double l2)
    {
        long n = x.shape[0], d = x.shape[1];
        // Explicit scalars kept alive to the end (see FlatSgd: an implicit one, also the alpha 1 TorchSharp's
        // add(tensor) and the + operator create, can be freed mid-call when another thread allocates).
        using var one = 1.ToScalar();
        using var rows = n.ToScalar();
        using var l2Scalar = l2.ToScalar();
        using var root = Math.Sqrt(d + 1).ToScalar();
        // Lipschitz constant of the gradient: λmax([x 1]ᵀ[x 1])/(4n) + l2, by power iteration.
        var xb = cat([x, ones(n, 1, dtype: ScalarType.Float64)], 1);
        var v = ones(d + 1, dtype: ScalarType.Float64).div_(root);
        double eigen = 1;
        for (int i = 0; i < 50; i++)
        {
            var u = xb.t().matmul(xb.matmul(v));
            eigen = u.norm().item<double>();
            if (eigen <= 0)
            {
                break;
            }

            using var norm = eigen.ToScalar();
            v = u.div_(norm);
        }

        double step = 1.0 / (Math.Max(eigen, 1e-12) / (4.0 * n) + l2);
        using var stepScalar = step.ToScalar();
        var theta = zeros(d + 1, dtype: ScalarType.Float64);
        var previous = theta.clone();
        var penalty = ones(d + 1, dtype: ScalarType.Float64);
        penalty[d] = 0; // the intercept is not penalised
        double t = 1;
        for (int k = 0; k < Iterations; k++)
        {
            using var iteration = NewDisposeScope();
            double tNext = (1 + Math.Sqrt(1 + 4 * t * t)) / 2;
            using var momentum = ((t - 1) / tNext).ToScalar();
            var lookahead = theta.add(theta.sub(previous).mul(momentum), one);
            var gradient = Gradient(xb, y, lookahead, penalty, l2Scalar, rows, one);
            var next = lookahead.sub(gradient.mul(stepScalar));
            // Adaptive restart: drop the momentum when it points uphill.
            bool restart = (gradient * (next - theta)).sum().item<double>() > 0;
            previous.copy_(theta);
            theta.copy_(next);
            t = restart ? 1 : tNext;
        }

        return (theta.narrow(0, 0, d), theta[d]);
    }

    private static Tensor Gradient(Tensor xb, Tensor y, Tensor theta, Tensor penalty, Scalar l2, Scalar rows, Scalar one)
    {
        var p = xb.matmul(theta).sigmoid_();
        return xb.t().matmul(p - y).div_(rows).add_(theta.mul(penalty).mul(l2), one);
    }
}
