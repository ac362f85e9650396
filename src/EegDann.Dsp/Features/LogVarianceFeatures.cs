namespace EegDann.Dsp.Features;

/// <summary>
/// Log-variance per channel: ln of the population variance (1/n, mean removed) of each aligned
/// channel, in ln µV². Variances below 10⁻¹² µV² (a flat channel) are floored there.
/// </summary>
public sealed class LogVarianceFeatures : IFeatureExtractor
{
    /// <summary>The floor on the variance, µV².</summary>
    public const double VarianceFloor = 1e-12;

    /// <summary>Creates the extractor for the given channels (names only label the columns).</summary>
    public LogVarianceFeatures(IReadOnlyList<string> channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        FeatureNames = channels.Select(c => $"logvar_{c}").ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames { get; }

    /// <inheritdoc />
    public bool ReadsOnlyVariances => true;

    /// <inheritdoc />
    public void Extract(WindowContext window, Span<double> destination)
    {
        var variances = window.Variances;
        for (int c = 0; c < variances.Length; c++)
        {
            destination[c] = Math.Log(Math.Max(variances[c], VarianceFloor));
        }
    }
}
