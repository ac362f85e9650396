namespace EegDann.Dsp.Features;

/// <summary>
/// The aligned spatial covariance (population, mean removed, µV²) as its upper triangle with the
/// diagonal, row by row: <c>cov_Ci_Cj</c> for i ≤ j, n(n+1)/2 features.
/// </summary>
public sealed class CovarianceFeatures : IFeatureExtractor
{
    /// <summary>Creates the extractor for the given channels.</summary>
    public CovarianceFeatures(IReadOnlyList<string> channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        var names = new List<string>();
        for (int i = 0; i < channels.Count; i++)
        {
            for (int j = i; j < channels.Count; j++)
            {
                names.Add($"cov_{channels[i]}_{channels[j]}");
            }
        }

        FeatureNames = names;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames { get; }

    /// <inheritdoc />
    public void Extract(WindowContext window, Span<double> destination)
    {
        int n = window.Channels, k = 0;
        var cov = window.Covariance;
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                destination[k++] = cov[(i * n) + j];
            }
        }
    }
}
