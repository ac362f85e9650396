namespace EegDann.Dsp.Features;

/// <summary>
/// Turns one (aligned) window into a fixed number of named features. Fitted extractors (CSP,
/// tangent space) are built from their fit; transforming never refits. No allocation per window.
/// </summary>
public interface IFeatureExtractor
{
    /// <summary>Column names, e.g. <c>logvar_C3</c>; their count is the number of features.</summary>
    IReadOnlyList<string> FeatureNames { get; }

    /// <summary>
    /// Whether <see cref="Extract"/> reads nothing but <see cref="WindowContext.Variances"/>: then a
    /// stream can hand it variances kept as running sums (<see cref="SlidingVariances"/>) instead of whole windows.
    /// </summary>
    bool ReadsOnlyVariances => false;

    /// <summary>Writes the window's features into <paramref name="destination"/> (<see cref="FeatureNames"/>.Count values).</summary>
    void Extract(WindowContext window, Span<double> destination);
}
