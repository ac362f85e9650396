namespace EegDann.Core;

/// <summary>
/// Feature vectors, one row per epoch or window, with named columns (<c>logvar_C3</c>, …) and
/// each row's origin: what the network trains on and what <c>export-features</c> writes.
/// </summary>
public sealed class FeatureTable
{
    /// <summary>Creates a table after checking that the values fit the names and rows.</summary>
    /// <param name="featureNames">Column names, unique.</param>
    /// <param name="rows">One entry per row.</param>
    /// <param name="values">Row-major, <c>rows.Count × featureNames.Count</c> values.</param>
    /// <exception cref="ArgumentException">When the sizes do not fit or names repeat.</exception>
    public FeatureTable(IReadOnlyList<string> featureNames, IReadOnlyList<EpochInfo> rows, double[] values)
    {
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != (long)featureNames.Count * rows.Count)
        {
            throw new ArgumentException($"{rows.Count} rows × {featureNames.Count} features need {(long)featureNames.Count * rows.Count} values, got {values.Length}.", nameof(values));
        }

        var duplicate = featureNames.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null)
        {
            throw new ArgumentException($"feature name '{duplicate.Key}' appears more than once.", nameof(featureNames));
        }

        FeatureNames = featureNames.ToArray();
        Rows = rows.ToArray();
        Values = values;
    }

    /// <summary>Column names.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Each row's subject, recording, first sample and label.</summary>
    public IReadOnlyList<EpochInfo> Rows { get; }

    /// <summary>Row-major values.</summary>
    public double[] Values { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => Rows.Count;

    /// <summary>Number of features per row.</summary>
    public int FeatureCount => FeatureNames.Count;

    /// <summary>The features of one row.</summary>
    public ReadOnlySpan<double> Row(int row) => Values.AsSpan(row * FeatureCount, FeatureCount);

    /// <summary>The rows of several tables with the same columns, in order.</summary>
    /// <exception cref="ArgumentException">When the tables' columns differ.</exception>
    public static FeatureTable Concat(IReadOnlyList<FeatureTable> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        if (tables.Count == 0)
        {
            throw new ArgumentException("no feature tables to join.", nameof(tables));
        }

        foreach (var t in tables)
        {
            if (!t.FeatureNames.SequenceEqual(tables[0].FeatureNames, StringComparer.Ordinal))
            {
                throw new ArgumentException("feature tables with different columns cannot be joined.", nameof(tables));
            }
        }

        return new FeatureTable(tables[0].FeatureNames, tables.SelectMany(t => t.Rows).ToArray(), tables.SelectMany(t => t.Values).ToArray());
    }
}
