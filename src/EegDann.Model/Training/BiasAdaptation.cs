namespace EegDann.Model;

/// <summary>
/// Unsupervised bias adaptation (Vidaurre C., Kawanabe M., von Buenau P., Blankertz B., Müller K.-R.
/// Toward unsupervised adaptation of LDA for brain-computer interfaces. IEEE Trans. Biomed. Eng.
/// 58(3):587–597, 2011): a linear classifier trained on other sessions (here: other subjects) keeps
/// its weights, and its bias is re-estimated from the new session's unlabeled feature mean, so
/// that the mean decision over the new data is neutral. For two-class LDA this is their
/// <c>b = −w·μ</c>; with balanced classes (the cue protocol draws them equally) the pooled mean is
/// the midpoint of the class means, so the rule moves the decision threshold to where the new
/// subject's classes actually lie. No knob; the target's labels are not read.
/// </summary>
/// <remarks>
/// For K classes with decisions <c>dₖ(x) = wₖ·x + bₖ</c> the rule generalises to equal mean
/// decisions: <c>bₖ ← bₖ − mₖ + mean(m)</c> with <c>mₖ</c> the mean of <c>dₖ</c> over the unlabeled
/// rows (for two classes the mean of <c>d₁ − d₀</c> becomes 0, exactly <c>b = −w·μ</c>). A network's
/// label head is linear in the extractor's features, so the same rule applies to it on those
/// features; an ensemble joined into one network has one such head (the mean of the members'
/// logits).
/// </remarks>
public static class BiasAdaptation
{
    /// <summary>
    /// Offsets to add to each class's bias so that the mean decisions are equal:
    /// <c>−(mₖ − mean(m))</c>.
    /// </summary>
    /// <param name="decisions">Decision values of the unlabeled rows, row-major <c>[row · classes + class]</c>.</param>
    /// <param name="classCount">Classes (≥ 2).</param>
    /// <exception cref="ArgumentException">When there is no row or the values are not whole rows.</exception>
    public static double[] Offsets(ReadOnlySpan<double> decisions, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if (decisions.Length == 0 || decisions.Length % classCount != 0)
        {
            throw new ArgumentException($"bias adaptation needs at least one unlabeled row of {classCount} decisions; got {decisions.Length} values.", nameof(decisions));
        }

        int rows = decisions.Length / classCount;
        var mean = new double[classCount];
        for (int i = 0; i < rows; i++)
        {
            for (int k = 0; k < classCount; k++)
            {
                mean[k] += decisions[(i * classCount) + k];
            }
        }

        double overall = 0;
        for (int k = 0; k < classCount; k++)
        {
            mean[k] /= rows;
            overall += mean[k];
        }

        overall /= classCount;
        var offsets = new double[classCount];
        for (int k = 0; k < classCount; k++)
        {
            offsets[k] = overall - mean[k];
        }

        return offsets;
    }

    /// <summary>A shrinkage LDA whose intercepts make the mean decision over <paramref name="unlabeledRows"/> equal for every class.</summary>
    /// <param name="lda">The discriminant fitted on the labeled source.</param>
    /// <param name="unlabeledRows">The target's unlabeled feature rows, row-major.</param>
    public static LinearDiscriminant Adapt(LinearDiscriminant lda, ReadOnlySpan<double> unlabeledRows)
    {
        ArgumentNullException.ThrowIfNull(lda);
        int rows = unlabeledRows.Length / lda.FeatureCount;
        var decisions = new double[rows * lda.ClassCount];
        for (int i = 0; i < rows; i++)
        {
            lda.Decision(unlabeledRows.Slice(i * lda.FeatureCount, lda.FeatureCount)).CopyTo(decisions, i * lda.ClassCount);
        }

        var offsets = Offsets(decisions, lda.ClassCount);
        return lda with { Intercepts = lda.Intercepts.Select((b, k) => b + offsets[k]).ToArray() };
    }

    /// <summary>A two-class logistic regression whose intercept makes the mean decision <c>w·x + b</c> over <paramref name="unlabeledRows"/> zero.</summary>
    /// <param name="model">The regression fitted on the labeled source.</param>
    /// <param name="unlabeledRows">The target's unlabeled feature rows, row-major.</param>
    public static LogisticModel Adapt(LogisticModel model, ReadOnlySpan<double> unlabeledRows)
    {
        ArgumentNullException.ThrowIfNull(model);
        int rows = unlabeledRows.Length / model.FeatureCount;
        if (rows == 0)
        {
            throw new ArgumentException("bias adaptation needs at least one unlabeled row.", nameof(unlabeledRows));
        }

        double mean = 0;
        for (int i = 0; i < rows; i++)
        {
            mean += model.Decision(unlabeledRows.Slice(i * model.FeatureCount, model.FeatureCount));
        }

        return model with { Intercept = model.Intercept - (mean / rows) };
    }

    /// <summary>A one-vs-rest logistic regression whose intercepts make the mean decisions over <paramref name="unlabeledRows"/> equal for every class.</summary>
    /// <param name="model">The regressions fitted on the labeled source.</param>
    /// <param name="unlabeledRows">The target's unlabeled feature rows, row-major.</param>
    public static OneVsRestLogisticModel Adapt(OneVsRestLogisticModel model, ReadOnlySpan<double> unlabeledRows)
    {
        ArgumentNullException.ThrowIfNull(model);
        int d = model.Models[0].FeatureCount, classes = model.Models.Count, rows = unlabeledRows.Length / d;
        var decisions = new double[rows * classes];
        for (int i = 0; i < rows; i++)
        {
            for (int k = 0; k < classes; k++)
            {
                decisions[(i * classes) + k] = model.Models[k].Decision(unlabeledRows.Slice(i * d, d));
            }
        }

        var offsets = Offsets(decisions, classes);
        return new OneVsRestLogisticModel(model.Models.Select((m, k) => m with { Intercept = m.Intercept + offsets[k] }).ToArray());
    }

    /// <summary>
    /// A copy of the network whose label-head biases make the mean logits over
    /// <paramref name="unlabeled"/> equal for every class (the extractor and the head's weights
    /// unchanged); the caller owns both models.
    /// </summary>
    /// <param name="model">A trained MLP network (an ensemble joined into one is one).</param>
    /// <param name="unlabeled">The target's unlabeled samples.</param>
    public static TrainedModel Adapt(TrainedModel model, SampleMatrix unlabeled)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(unlabeled);
        if (unlabeled.Count == 0)
        {
            throw new ArgumentException("bias adaptation needs at least one unlabeled sample.", nameof(unlabeled));
        }

        var (weight, bias) = ModelEnsemble.LabelHead(model);
        var features = model.ExtractFeatures(unlabeled);
        int classes = bias.Length, f = weight.Length / classes;
        var decisions = new double[features.Length * classes];
        for (int i = 0; i < features.Length; i++)
        {
            for (int k = 0; k < classes; k++)
            {
                double z = bias[k];
                for (int j = 0; j < f; j++)
                {
                    z += (double)weight[(k * f) + j] * features[i][j];
                }

                decisions[(i * classes) + k] = z;
            }
        }

        var offsets = Offsets(decisions, classes);
        return ModelEnsemble.WithLabelHead(model, weight, bias.Select((b, k) => (float)(b + offsets[k])).ToArray());
    }
}
