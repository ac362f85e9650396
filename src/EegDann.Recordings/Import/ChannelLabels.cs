namespace EegDann.Recordings.Import;

/// <summary>Turns source channel labels into column names: padding removed, unique.</summary>
public static class ChannelLabels
{
    /// <summary>The name of the sample-index column, which no channel may take.</summary>
    public const string SampleColumn = "sample";

    /// <summary>
    /// The clean label of each source label: surrounding spaces and trailing padding dots removed
    /// (EEGMMIDB's <c>C3..</c> becomes <c>C3</c>, <c>Fc5.</c> becomes <c>Fc5</c>). A label that
    /// would be empty becomes <c>ch{index}</c>; a clash (with another channel or with the
    /// sample-index column) gets a suffix <c>_2</c>, <c>_3</c>… so every column name is unique.
    /// </summary>
    /// <param name="original">Labels as the file spells them, in channel order.</param>
    public static IReadOnlyList<string> Clean(IReadOnlyList<string> original)
    {
        ArgumentNullException.ThrowIfNull(original);
        var taken = new HashSet<string>(StringComparer.Ordinal) { SampleColumn };
        var result = new string[original.Count];
        for (int i = 0; i < original.Count; i++)
        {
            string label = original[i].Trim().TrimEnd('.').Trim();
            if (label.Length == 0)
            {
                label = $"ch{i + 1}";
            }

            string candidate = label;
            for (int k = 2; !taken.Add(candidate); k++)
            {
                candidate = $"{label}_{k}";
            }

            result[i] = candidate;
        }

        return result;
    }
}
