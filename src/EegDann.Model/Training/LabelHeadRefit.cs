namespace EegDann.Model;

/// <summary>How <see cref="LabelHeadRefit"/> uses the labeled target epochs.</summary>
public enum LabelHeadRefitKind
{
    /// <summary>
    /// A new linear head on the trained extractor's features: L2 logistic regression on the labeled
    /// source and the labeled target, the target's rows weighted so that together they weigh
    /// <c>targetWeight</c> times the whole source.
    /// </summary>
    WeightedLogistic,
}

/// <summary>
/// Adapts a trained two-class network's label head to a new subject with a few of its labeled
/// epochs, leaving the feature extractor (trained on the labeled source and the unlabeled target)
/// as it is: the classifier is refitted on adapted features.
/// </summary>
/// <remarks>
/// With 2 to 10 labeled epochs per class, retraining a network (or adding the epochs to its label
/// loss) over-fits them; a linear head on the fixed, adapted features has one weight per feature
/// and is held near the source's solution by the source rows it is fitted with. Equal total weight
/// for the target and the source (<c>targetWeight</c> = 1) is the same balance as the
/// semi-supervised DANN's label loss (<see cref="TrainingOptions.TargetLabelWeight"/>), and the
/// scheme of weighted adaptation regularisation (Wu D., Lawhern V.J., Lance B.J. Reducing
/// offline BCI calibration effort using weighted adaptation regularization with source domain
/// selection. IEEE SMC 2015), where a few labeled target trials are weighted up against many
/// source trials. Nothing of the target other than the given labeled epochs is read.
/// </remarks>
public static class LabelHeadRefit
{
    /// <summary>L2 penalty on the head's weights (features standardised; scikit-learn's C = 1).</summary>
    private const double Penalty = 1.0;

    /// <summary>Refits the label head; returns a new model (the caller owns both).</summary>
    /// <param name="model">A trained two-class network (an ensemble joined into one is a network).</param>
    /// <param name="source">The labeled source samples the network was trained on.</param>
    /// <param name="targetLabeled">The labeled target samples (both classes).</param>
    /// <param name="kind">Which refit.</param>
    /// <param name="targetWeight">Total weight of the labeled target relative to the whole source (&gt; 0).</param>
    /// <exception cref="ArgumentException">When the network is not two-class or a class has no labeled target sample.</exception>
    public static TrainedModel Refit(TrainedModel model, LabeledSamples source, LabeledSamples targetLabeled, LabelHeadRefitKind kind, double targetWeight = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(targetLabeled);
        if (model.ClassNames.Count != 2)
        {
            throw new ArgumentException($"the label head is refitted for two classes; the network has {model.ClassNames.Count}.", nameof(model));
        }

        if (!(targetWeight > 0) || !double.IsFinite(targetWeight))
        {
            throw new ArgumentOutOfRangeException(nameof(targetWeight), targetWeight, "the target's weight must be finite and > 0.");
        }

        if (!targetLabeled.Labels.Contains(0) || !targetLabeled.Labels.Contains(1))
        {
            throw new ArgumentException("the labeled target epochs must hold both classes.", nameof(targetLabeled));
        }

        return kind switch
        {
            LabelHeadRefitKind.WeightedLogistic => RefitLogistic(model, source, targetLabeled, targetWeight),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown refit."),
        };
    }

    private static TrainedModel RefitLogistic(TrainedModel model, LabeledSamples source, LabeledSamples targetLabeled, double targetWeight)
    {
        var sourceFeatures = model.ExtractFeatures(source.Samples);
        var targetFeatures = model.ExtractFeatures(targetLabeled.Samples);
        int f = sourceFeatures[0].Length;
        int nS = sourceFeatures.Length, nT = targetFeatures.Length;

        // Standardise the features with the source's statistics so that one penalty suits every unit.
        var mean = new double[f];
        var scale = new double[f];
        foreach (var row in sourceFeatures)
        {
            for (int j = 0; j < f; j++)
            {
                mean[j] += row[j];
            }
        }

        for (int j = 0; j < f; j++)
        {
            mean[j] /= nS;
        }

        foreach (var row in sourceFeatures)
        {
            for (int j = 0; j < f; j++)
            {
                double d = row[j] - mean[j];
                scale[j] += d * d;
            }
        }

        for (int j = 0; j < f; j++)
        {
            double sd = Math.Sqrt(scale[j] / nS);
            scale[j] = sd > 1e-6 ? sd : 1.0;
        }

        int n = nS + nT;
        var x = new double[n * f];
        var y = new double[n];
        var w = new double[n];
        double targetRowWeight = targetWeight * nS / nT;
        for (int i = 0; i < n; i++)
        {
            var row = i < nS ? sourceFeatures[i] : targetFeatures[i - nS];
            for (int j = 0; j < f; j++)
            {
                x[(i * f) + j] = (row[j] - mean[j]) / scale[j];
            }

            y[i] = (i < nS ? source.Labels[i] : targetLabeled.Labels[i - nS]) == 1 ? 1 : -1;
            w[i] = i < nS ? 1.0 : targetRowWeight;
        }

        var (coefficients, intercept) = WeightedLogistic(x, f, y, w, Penalty);

        // Back to the network's feature units, as a symmetric two-logit head: logits ∓ z/2.
        var weight = new float[2 * f];
        double b = intercept;
        for (int j = 0; j < f; j++)
        {
            double wj = coefficients[j] / scale[j];
            b -= wj * mean[j];
            weight[j] = (float)(-wj / 2);
            weight[f + j] = (float)(wj / 2);
        }

        return ModelEnsemble.WithLabelHead(model, weight, [(float)(-b / 2), (float)(b / 2)]);
    }

    /// <summary>
    /// Minimises Σ wᵢ ln(1 + exp(−yᵢ(β·xᵢ + b))) + λ/2 ‖β‖² (intercept unpenalised) by Newton's
    /// method with a backtracking line search; yᵢ = ±1.
    /// </summary>
    internal static (double[] Coefficients, double Intercept) WeightedLogistic(double[] x, int f, double[] y, double[] w, double penalty)
    {
        int n = y.Length, d = f + 1;
        var theta = new double[d];
        double Objective(double[] t)
        {
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                double z = t[f];
                for (int j = 0; j < f; j++)
                {
                    z += t[j] * x[(i * f) + j];
                }

                double m = -y[i] * z;
                total += w[i] * (m > 0 ? m + Math.Log(1 + Math.Exp(-m)) : Math.Log(1 + Math.Exp(m)));
            }

            for (int j = 0; j < f; j++)
            {
                total += 0.5 * penalty * t[j] * t[j];
            }

            return total;
        }

        double weightSum = w.Sum();
        double current = Objective(theta);
        for (int iteration = 0; iteration < 100; iteration++)
        {
            var gradient = new double[d];
            var hessian = new double[d * d];
            for (int i = 0; i < n; i++)
            {
                double z = theta[f];
                for (int j = 0; j < f; j++)
                {
                    z += theta[j] * x[(i * f) + j];
                }

                double p = 1 / (1 + Math.Exp(-y[i] * z));
                double g = -w[i] * y[i] * (1 - p);
                double h = w[i] * p * (1 - p);
                for (int a = 0; a < d; a++)
                {
                    double xa = a < f ? x[(i * f) + a] : 1;
                    gradient[a] += g * xa;
                    for (int c = 0; c <= a; c++)
                    {
                        double xc = c < f ? x[(i * f) + c] : 1;
                        hessian[(a * d) + c] += h * xa * xc;
                    }
                }
            }

            for (int j = 0; j < f; j++)
            {
                gradient[j] += penalty * theta[j];
                hessian[(j * d) + j] += penalty;
            }

            hessian[(f * d) + f] += 1e-9 * weightSum;
            if (gradient.Max(Math.Abs) < 1e-9 * (1 + weightSum))
            {
                break;
            }

            var step = SolveSymmetric(hessian, d, gradient);
            double t = 1;
            bool moved = false;
            for (int search = 0; search < 30; search++, t /= 2)
            {
                var trial = new double[d];
                for (int a = 0; a < d; a++)
                {
                    trial[a] = theta[a] - (t * step[a]);
                }

                double value = Objective(trial);
                if (value <= current)
                {
                    moved = value < current;
                    theta = trial;
                    current = value;
                    break;
                }
            }

            if (!moved)
            {
                break;
            }
        }

        return (theta[..f], theta[f]);
    }

    /// <summary>Solves A·x = b for a symmetric positive definite A given by its lower triangle (row-major), by Cholesky.</summary>
    private static double[] SolveSymmetric(double[] lower, int d, double[] b)
    {
        var l = new double[d * d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double sum = lower[(i * d) + j];
                for (int k = 0; k < j; k++)
                {
                    sum -= l[(i * d) + k] * l[(j * d) + k];
                }

                l[(i * d) + j] = i == j ? Math.Sqrt(Math.Max(sum, 1e-300)) : sum / l[(j * d) + j];
            }
        }

        var z = new double[d];
        for (int i = 0; i < d; i++)
        {
            double sum = b[i];
            for (int k = 0; k < i; k++)
            {
                sum -= l[(i * d) + k] * z[k];
            }

            z[i] = sum / l[(i * d) + i];
        }

        var result = new double[d];
        for (int i = d - 1; i >= 0; i--)
        {
            double sum = z[i];
            for (int k = i + 1; k < d; k++)
            {
                sum -= l[(k * d) + i] * result[k];
            }

            result[i] = sum / l[(i * d) + i];
        }

        return result;
    }
}
