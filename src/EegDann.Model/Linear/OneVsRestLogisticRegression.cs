namespace EegDann.Model;

/// <summary>
/// A fitted one-vs-rest logistic regression over N classes: one two-class model per class (that
/// class = 1 against all others = 0); the predicted class is the one whose model gives the largest
/// w·x + b (scikit-learn's <c>OneVsRestClassifier(LogisticRegression)</c> decision rule).
/// </summary>
/// <param name="Models">One model per class, classes in label order 0..N−1.</param>
public sealed record OneVsRestLogisticModel(IReadOnlyList<LogisticModel> Models)
{
    /// <summary>The predicted class (0..N−1) of every sample (rows of <paramref name="rows"/>, row-major); ties go to the lower class.</summary>
    public int[] Predict(ReadOnlySpan<double> rows)
    {
        int d = Models[0].FeatureCount, count = rows.Length / d;
        var predicted = new int[count];
        for (int i = 0; i < count; i++)
        {
            var sample = rows.Slice(i * d, d);
            double best = double.NegativeInfinity;
            for (int k = 0; k < Models.Count; k++)
            {
                double v = Models[k].Decision(sample);
                if (v > best)
                {
                    best = v;
                    predicted[i] = k;
                }
            }
        }

        return predicted;
    }
}

/// <summary>One-vs-rest L2 logistic regression for N ≥ 2 classes, each binary problem solved by <see cref="LogisticRegression.Fit"/> (same C).</summary>
public static class OneVsRestLogisticRegression
{
    /// <summary>Fits one model per class.</summary>
    /// <param name="rows">Samples × features, row-major.</param>
    /// <param name="featureCount">Features per sample.</param>
    /// <param name="labels">0..<paramref name="classCount"/>−1 per sample; every class must occur.</param>
    /// <param name="classCount">N ≥ 2.</param>
    /// <param name="c">Inverse regularisation strength (scikit-learn's C), &gt; 0.</param>
    /// <exception cref="ArgumentException">When a label is out of range or a class is missing (and as <see cref="LogisticRegression.Fit"/>).</exception>
    public static OneVsRestLogisticModel Fit(ReadOnlySpan<double> rows, int featureCount, IReadOnlyList<int> labels, int classCount, double c = 1.0)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if (labels.Any(y => y < 0 || y >= classCount))
        {
            throw new ArgumentException($"one-vs-rest logistic regression needs labels 0..{classCount - 1}.", nameof(labels));
        }

        var missing = Enumerable.Range(0, classCount).Where(k => !labels.Contains(k)).ToArray();
        if (missing.Length > 0)
        {
            throw new ArgumentException($"one-vs-rest logistic regression needs every class; class {string.Join(", ", missing)} has no sample.", nameof(labels));
        }

        var models = new LogisticModel[classCount];
        for (int k = 0; k < classCount; k++)
        {
            int target = k;
            models[k] = LogisticRegression.Fit(rows, featureCount, labels.Select(y => y == target ? 1 : 0).ToArray(), c);
        }

        return new OneVsRestLogisticModel(models);
    }
}
