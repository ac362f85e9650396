namespace EegDann.Model;

/// <summary>
/// Class-balanced pseudo-labels for self-training on an unlabeled target: of the samples a network
/// predicts as each class, the more confident half (by that class's probability) keep the
/// prediction as their label.
/// </summary>
/// <remarks>
/// Per-class selection (Zou Y., Yu Z., Kumar B.V.K.V., Wang J. Unsupervised Domain Adaptation for
/// Semantic Segmentation via Class-Balanced Self-Training. ECCV 2018) keeps a class the network
/// under-predicts on the target from vanishing from the pseudo-labels, which a global confidence
/// threshold would do; the half is a rule fixed in advance, not tuned on targets.
/// </remarks>
public static class PseudoLabels
{
    /// <summary>Selects pseudo-labeled samples.</summary>
    /// <param name="probabilities">Class probabilities, row-major <c>[sample · classes + class]</c>.</param>
    /// <param name="classes">Classes (≥ 2).</param>
    /// <returns>The selected samples' indices (ascending) and their pseudo-labels.</returns>
    public static (int[] Rows, int[] Labels) ConfidentHalfPerClass(ReadOnlySpan<float> probabilities, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (probabilities.Length % classes != 0)
        {
            throw new ArgumentException($"{probabilities.Length} probabilities are not whole rows of {classes} classes.", nameof(probabilities));
        }

        int n = probabilities.Length / classes;
        var predicted = new int[n];
        var confidence = new float[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int c = 1; c < classes; c++)
            {
                if (probabilities[(i * classes) + c] > probabilities[(i * classes) + best])
                {
                    best = c;
                }
            }

            predicted[i] = best;
            confidence[i] = probabilities[(i * classes) + best];
        }

        var selected = new List<int>();
        for (int c = 0; c < classes; c++)
        {
            var members = Enumerable.Range(0, n).Where(i => predicted[i] == c).OrderByDescending(i => confidence[i]).ThenBy(i => i).ToArray();
            selected.AddRange(members.Take((members.Length + 1) / 2));
        }

        var rows = selected.Order().ToArray();
        return (rows, rows.Select(i => predicted[i]).ToArray());
    }
}
