using EegDann.Core;

namespace EegDann.Dsp.Features;

/// <summary>The fitted state of feature standardisation: per-feature mean and scale (population SD; 1 where the SD is 0).</summary>
/// <param name="Mean">One value per feature.</param>
/// <param name="Scale">One value per feature, &gt; 0.</param>
public sealed record StandardizationFit(double[] Mean, double[] Scale)
{
    /// <summary>Fits on rows of features (row-major, <paramref name="featureCount"/> per row): the source's features only.</summary>
    public static StandardizationFit Fit(ReadOnlySpan<double> rows, int featureCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        int count = rows.Length / featureCount;
        if (count == 0)
        {
            throw new FitDataException("standardisation needs at least one row of features.");
        }

        var mean = new double[featureCount];
        var scale = new double[featureCount];
        for (int r = 0; r < count; r++)
        {
            for (int f = 0; f < featureCount; f++)
            {
                mean[f] += rows[(r * featureCount) + f];
            }
        }

        for (int f = 0; f < featureCount; f++)
        {
            mean[f] /= count;
        }

        for (int r = 0; r < count; r++)
        {
            for (int f = 0; f < featureCount; f++)
            {
                double d = rows[(r * featureCount) + f] - mean[f];
                scale[f] += d * d;
            }
        }

        for (int f = 0; f < featureCount; f++)
        {
            double sd = Math.Sqrt(scale[f] / count);
            scale[f] = sd > 0 && double.IsFinite(sd) ? sd : 1;
        }

        return new StandardizationFit(mean, scale);
    }

    /// <summary>Standardises one row in place: (x − mean) / scale.</summary>
    public void Apply(Span<double> row)
    {
        for (int f = 0; f < row.Length; f++)
        {
            row[f] = (row[f] - Mean[f]) / Scale[f];
        }
    }
}
