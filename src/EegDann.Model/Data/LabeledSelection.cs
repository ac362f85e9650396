namespace EegDann.Model;

/// <summary>
/// Picks the few labeled target samples of the semi-supervised case: K per class, reproducibly
/// from a seed, and the rest (which alone may be used to score the result).
/// </summary>
public static class LabeledSelection
{
    /// <summary>
    /// Chooses <paramref name="perClass"/> sample indices of each class (all of a class when it has
    /// fewer), uniformly at random from <paramref name="seed"/>, in ascending order; the remaining
    /// indices, ascending, are returned as <c>Remaining</c>.
    /// </summary>
    /// <param name="labels">Class index of every sample.</param>
    /// <param name="perClass">K ≥ 0.</param>
    /// <param name="seed">Seed of the choice.</param>
    public static (int[] Selected, int[] Remaining) PerClass(IReadOnlyList<int> labels, int perClass, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perClass);
        var chosen = ShuffledPerClass(labels, seed).SelectMany(c => c.Take(perClass)).Order().ToArray();
        var set = chosen.ToHashSet();
        return (chosen, Enumerable.Range(0, labels.Count).Where(i => !set.Contains(i)).ToArray());
    }

    /// <summary>
    /// Each class's sample indices (classes in ascending order) shuffled uniformly at random from
    /// <paramref name="seed"/> — the order <see cref="PerClass"/> takes its first K from, so the
    /// selections for K = 2, 5, 10 of one seed are nested, and the last indices of each class can be
    /// kept apart (a holdout) without ever meeting the first K.
    /// </summary>
    /// <param name="labels">Class index of every sample.</param>
    /// <param name="seed">Seed of the shuffle.</param>
    public static int[][] ShuffledPerClass(IReadOnlyList<int> labels, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var random = new Random(seed);
        var result = new List<int[]>();
        foreach (var group in labels.Select((label, index) => (label, index)).GroupBy(p => p.label).OrderBy(g => g.Key))
        {
            var indices = group.Select(p => p.index).ToArray();
            for (int i = indices.Length - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (indices[i], indices[j]) = (indices[j], indices[i]);
            }

            result.Add(indices);
        }

        return result.ToArray();
    }
}
