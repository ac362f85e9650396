namespace EegDann.Recordings.Import;

/// <summary>One stretch of clock offsets between two clock resets and the line fitted through it.</summary>
/// <param name="FirstOffset">Index of the stretch's first clock offset.</param>
/// <param name="LastOffset">Index of its last clock offset.</param>
/// <param name="Intercept">Offset at sender time 0, seconds.</param>
/// <param name="Slope">Change of the offset per second of sender time.</param>
public sealed record ClockSegment(int FirstOffset, int LastOffset, double Intercept, double Slope);

/// <summary>
/// Maps a stream's timestamps (sender clock) onto the recorder's clock with the stream's clock
/// offsets, segment by segment, the way LabRecorder's reference reader (pyxdf) does.
/// </summary>
/// <remarks>
/// <para>Clock resets: between two successive offsets, a reset is where both the collection time
/// and the offset value jump: the time step is negative or more than 5 median absolute
/// deviations and 5 s above the median step, and the offset step is more than 10 deviations and
/// 1 s above the median offset step. The offsets are split there into segments; a line
/// (offset = a + b·time) is fitted through each segment with a Huber loss of threshold 10⁻⁴ s, so
/// a single late time probe does not tilt it (pyxdf minimises the same loss by ADMM; here by
/// iteratively reweighted least squares); a segment of one offset is that constant.</para>
/// <para>Each sample is corrected by the segment it belongs to: samples are taken in order and move
/// on to the next segment once they are nearer to its time span than to the current one's (samples
/// before the first offset use the first segment). Never one line through all offsets: across a
/// reset it would be off by the size of the jump.</para>
/// </remarks>
public static class XdfClockSync
{
    private const double HuberThreshold = 1e-4;

    /// <summary>Splits the offsets at clock resets and fits each segment.</summary>
    /// <param name="offsets">(collection time, offset) pairs in file order; may be empty.</param>
    public static IReadOnlyList<ClockSegment> Segments(IReadOnlyList<(double Time, double Value)> offsets)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        if (offsets.Count == 0)
        {
            return [];
        }

        var bounds = new List<(int First, int Last)>();
        int start = 0;
        if (offsets.Count > 1)
        {
            int m = offsets.Count - 1;
            var timeStep = new double[m];
            var valueStep = new double[m];
            for (int i = 0; i < m; i++)
            {
                timeStep[i] = offsets[i + 1].Time - offsets[i].Time;
                valueStep[i] = Math.Abs(offsets[i + 1].Value - offsets[i].Value);
            }

            double medianTime = Median(timeStep);
            double madTime = Median(timeStep.Select(d => Math.Abs(d - medianTime)).ToArray()) + double.Epsilon;
            double medianValue = Median(valueStep);
            double madValue = Median(valueStep.Select(d => Math.Abs(d - medianValue)).ToArray()) + double.Epsilon;
            for (int i = 0; i < m; i++)
            {
                bool timeGlitch = timeStep[i] < 0 || ((timeStep[i] - medianTime) / madTime > 5 && timeStep[i] - medianTime > 5);
                bool valueGlitch = (valueStep[i] - medianValue) / madValue > 10 && valueStep[i] - medianValue > 1;
                if (timeGlitch && valueGlitch)
                {
                    bounds.Add((start, i));
                    start = i + 1;
                }
            }
        }

        bounds.Add((start, offsets.Count - 1));
        return bounds.Select(b => Fit(offsets, b.First, b.Last)).ToList();
    }

    /// <summary>The timestamps mapped onto the recorder's clock (a copy; unchanged when there are no offsets).</summary>
    /// <param name="timestamps">Sender timestamps in sample order.</param>
    /// <param name="offsets">The stream's clock offsets.</param>
    /// <param name="segments">The segments from <see cref="Segments"/> of the same offsets.</param>
    public static double[] Correct(IReadOnlyList<double> timestamps, IReadOnlyList<(double Time, double Value)> offsets, IReadOnlyList<ClockSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(segments);
        var result = timestamps.ToArray();
        if (segments.Count == 0)
        {
            return result;
        }

        double Distance(int k, double t)
        {
            double lo = offsets[segments[k].FirstOffset].Time, hi = offsets[segments[k].LastOffset].Time;
            return t < lo ? lo - t : t > hi ? t - hi : 0;
        }

        int segment = 0;
        for (int i = 0; i < result.Length; i++)
        {
            double t = result[i];
            while (segment + 1 < segments.Count && Distance(segment + 1, t) < Distance(segment, t))
            {
                segment++;
            }

            result[i] = t + segments[segment].Intercept + (segments[segment].Slope * t);
        }

        return result;
    }

    private static ClockSegment Fit(IReadOnlyList<(double Time, double Value)> offsets, int first, int last)
    {
        if (first == last)
        {
            return new ClockSegment(first, last, offsets[first].Value, 0);
        }

        // Centre the times: collection times are ~10⁵–10⁶ s, offsets change by microseconds.
        double t0 = offsets[first].Time;
        int n = last - first + 1;
        var x = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = offsets[first + i].Time - t0;
            y[i] = offsets[first + i].Value;
        }

        var w = Enumerable.Repeat(1.0, n).ToArray();
        double a = 0, b = 0;
        for (int iteration = 0; iteration < 200; iteration++)
        {
            var (na, nb) = WeightedLine(x, y, w);
            bool settled = iteration > 0 && Math.Abs(na - a) < 1e-13 && Math.Abs(nb - b) < 1e-15;
            (a, b) = (na, nb);
            if (settled)
            {
                break;
            }

            for (int i = 0; i < n; i++)
            {
                double r = Math.Abs(y[i] - a - (b * x[i]));
                w[i] = r <= HuberThreshold ? 1 : HuberThreshold / r;
            }
        }

        return new ClockSegment(first, last, a - (b * t0), b);
    }

    private static (double A, double B) WeightedLine(double[] x, double[] y, double[] w)
    {
        double sw = 0, sx = 0, sy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sw += w[i];
            sx += w[i] * x[i];
            sy += w[i] * y[i];
        }

        double mx = sx / sw, my = sy / sw, sxx = 0, sxy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxx += w[i] * (x[i] - mx) * (x[i] - mx);
            sxy += w[i] * (x[i] - mx) * (y[i] - my);
        }

        double slope = sxx > 0 ? sxy / sxx : 0;
        return (my - (slope * mx), slope);
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int h = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
    }
}
