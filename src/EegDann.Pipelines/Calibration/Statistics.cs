namespace EegDann.Pipelines.Calibration;

/// <summary>A 95% interval.</summary>
/// <param name="Low">Lower end.</param>
/// <param name="High">Upper end.</param>
public sealed record Interval(double Low, double High)
{
    /// <summary>Whether <paramref name="value"/> lies inside (ends included).</summary>
    public bool Contains(double value) => value >= Low && value <= High;
}

/// <summary>A paired comparison of two methods over targets (each target's accuracy averaged over seeds first).</summary>
/// <param name="Method">The method compared.</param>
/// <param name="Baseline">What it is compared with.</param>
/// <param name="Targets">Targets, in order.</param>
/// <param name="Differences">Per target, method minus baseline.</param>
/// <param name="MeanDifference">Mean of the differences.</param>
/// <param name="DifferenceInterval">95% t-interval of the mean difference.</param>
/// <param name="Wins">Targets where the method is better.</param>
/// <param name="Losses">Targets where it is worse.</param>
/// <param name="SignTestP">Two-sided exact sign test (ties dropped).</param>
/// <param name="WilcoxonP">Two-sided Wilcoxon signed-rank test (zeros dropped; exact up to 20 non-zero differences, average ranks for ties).</param>
/// <param name="WilcoxonExact">Whether the Wilcoxon p-value is exact (else the normal approximation).</param>
public sealed record PairedComparison(
    string Method,
    string Baseline,
    IReadOnlyList<string> Targets,
    IReadOnlyList<double> Differences,
    double MeanDifference,
    Interval DifferenceInterval,
    int Wins,
    int Losses,
    double SignTestP,
    double WilcoxonP,
    bool WilcoxonExact);

/// <summary>
/// The statistics reports use: Wilson score intervals for one accuracy, Student-t intervals for a
/// mean over targets, and paired tests (sign, Wilcoxon signed-rank) for two methods on the same
/// targets. Checked against SciPy (<c>tools/golden/stats_golden.py</c>).
/// </summary>
public static class Statistics
{
    /// <summary>z of a two-sided 95% normal interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// The Wilson score 95% interval of a proportion <paramref name="p"/> observed on
    /// <paramref name="n"/> trials (Wilson 1927): e.g. 27 of 45 right gives 0.45–0.73.
    /// </summary>
    public static Interval Wilson(double p, int n)
    {
        if (n <= 0 || !double.IsFinite(p))
        {
            return new Interval(double.NaN, double.NaN);
        }

        double z2 = Z95 * Z95;
        double denominator = 1 + (z2 / n);
        double centre = (p + (z2 / (2 * n))) / denominator;
        double half = Z95 * Math.Sqrt((p * (1 - p) / n) + (z2 / (4.0 * n * n))) / denominator;
        return new Interval(Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>The 95% Student-t interval of the mean of <paramref name="values"/> (sample sd, n − 1 degrees of freedom); NaN for fewer than two values.</summary>
    public static Interval MeanInterval(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length < 2)
        {
            return new Interval(double.NaN, double.NaN);
        }

        double mean = finite.Average();
        double sd = Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1));
        double half = StudentT975(finite.Length - 1) * sd / Math.Sqrt(finite.Length);
        return new Interval(mean - half, mean + half);
    }

    /// <summary>The 97.5% quantile of Student's t with <paramref name="df"/> degrees of freedom (bisection on the CDF).</summary>
    public static double StudentT975(int df)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(df);
        double low = 0, high = 1000;
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (low + high);
            if (StudentTCdf(mid, df) < 0.975)
            {
                low = mid;
            }
            else
            {
                high = mid;
            }
        }

        return 0.5 * (low + high);
    }

    /// <summary>Two-sided exact sign test: P of a split at least as uneven as <paramref name="wins"/> of <paramref name="n"/> under Binomial(n, ½).</summary>
    public static double SignTest(int wins, int n)
    {
        if (n == 0)
        {
            return 1;
        }

        int k = Math.Min(wins, n - wins);
        double tail = 0;
        for (int i = 0; i <= k; i++)
        {
            tail += Math.Exp(LogChoose(n, i) - (n * Math.Log(2)));
        }

        return Math.Min(1, 2 * tail);
    }

    /// <summary>
    /// Two-sided Wilcoxon signed-rank test of paired differences: zeros are dropped, ties get
    /// average ranks; with up to 20 non-zero differences the p-value is exact (every sign pattern
    /// enumerated), beyond that the normal approximation. Returns min(W⁺, W⁻) and p.
    /// </summary>
    public static (double Statistic, double P, bool Exact) Wilcoxon(IReadOnlyList<double> differences)
    {
        ArgumentNullException.ThrowIfNull(differences);
        var d = differences.Where(v => v != 0 && double.IsFinite(v)).ToArray();
        int n = d.Length;
        if (n == 0)
        {
            return (0, 1, true);
        }

        var order = Enumerable.Range(0, n).OrderBy(i => Math.Abs(d[i])).ToArray();
        var ranks = new double[n];
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && Math.Abs(d[order[j + 1]]) == Math.Abs(d[order[i]]))
            {
                j++;
            }

            for (int k = i; k <= j; k++)
            {
                ranks[order[k]] = (i + j + 2) / 2.0;
            }

            i = j + 1;
        }

        double plus = Enumerable.Range(0, n).Where(i => d[i] > 0).Sum(i => ranks[i]);
        double total = n * (n + 1) / 2.0;
        double statistic = Math.Min(plus, total - plus);
        if (n <= 20)
        {
            // Doubled ranks are integers even with ties; count sign patterns by their W⁺.
            var doubled = ranks.Select(r => (int)Math.Round(2 * r)).ToArray();
            int max = doubled.Sum();
            var counts = new double[max + 1];
            counts[0] = 1;
            foreach (int r in doubled)
            {
                for (int s = max; s >= r; s--)
                {
                    counts[s] += counts[s - r];
                }
            }

            int observed = (int)Math.Round(2 * statistic);
            double atMost = 0;
            for (int s = 0; s <= observed; s++)
            {
                atMost += counts[s];
            }

            return (statistic, Math.Min(1, 2 * atMost / Math.Pow(2, n)), true);
        }

        double mean = total / 2;
        double variance = ranks.Sum(r => r * r) / 4;
        double z = (statistic - mean) / Math.Sqrt(variance);
        return (statistic, Math.Min(1, 2 * NormalCdf(z)), false);
    }

    /// <summary>Compares <paramref name="method"/> with <paramref name="baseline"/> on the same targets.</summary>
    /// <param name="method">Its name.</param>
    /// <param name="baseline">The baseline's name.</param>
    /// <param name="targets">Targets.</param>
    /// <param name="methodAccuracy">Per target, the method's accuracy (mean over seeds).</param>
    /// <param name="baselineAccuracy">Per target, the baseline's.</param>
    public static PairedComparison Compare(string method, string baseline, IReadOnlyList<string> targets, IReadOnlyList<double> methodAccuracy, IReadOnlyList<double> baselineAccuracy)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(methodAccuracy);
        ArgumentNullException.ThrowIfNull(baselineAccuracy);
        // Differences of means over the same seeds are rounded to 1e-12 so that equal accuracies are ties, not ±1e-17.
        var differences = targets.Select((_, i) => Math.Round(methodAccuracy[i] - baselineAccuracy[i], 12)).ToArray();
        int wins = differences.Count(v => v > 0), losses = differences.Count(v => v < 0);
        var (_, p, exact) = Wilcoxon(differences);
        return new PairedComparison(
            method,
            baseline,
            targets,
            differences,
            differences.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(),
            MeanInterval(differences),
            wins,
            losses,
            SignTest(wins, wins + losses),
            p,
            exact);
    }

    /// <summary>Φ(z) by Abramowitz &amp; Stegun 26.2.17 (absolute error &lt; 7.5·10⁻⁸, enough for a p-value).</summary>
    private static double NormalCdf(double z)
    {
        double x = Math.Abs(z);
        double t = 1 / (1 + (0.2316419 * x));
        double poly = t * (0.319381530 + (t * (-0.356563782 + (t * (1.781477937 + (t * (-1.821255978 + (t * 1.330274429))))))));
        double upper = Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI) * poly;
        return z >= 0 ? 1 - upper : upper;
    }

    private static double StudentTCdf(double t, int df)
    {
        double x = df / (df + (t * t));
        double tail = 0.5 * RegularizedBeta(x, df / 2.0, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>I_x(a, b) by its continued fraction (modified Lentz), using the symmetry for x past the mean.</summary>
    private static double RegularizedBeta(double x, double a, double b)
    {
        if (x <= 0)
        {
            return 0;
        }

        if (x >= 1)
        {
            return 1;
        }

        if (x > (a + 1) / (a + b + 2))
        {
            return 1 - RegularizedBeta(1 - x, b, a);
        }

        double logFront = (a * Math.Log(x)) + (b * Math.Log(1 - x)) - LogBeta(a, b) - Math.Log(a);
        const double tiny = 1e-300;
        double f = 1, c = 1, d = 0;
        for (int i = 0; i <= 400; i++)
        {
            int m = i / 2;
            double numerator = i == 0
                ? 1
                : i % 2 == 0
                    ? m * (b - m) * x / ((a + (2 * m) - 1) * (a + (2 * m)))
                    : -((a + m) * (a + b + m) * x) / ((a + (2 * m)) * (a + (2 * m) + 1));
            d = 1 + (numerator * d);
            d = Math.Abs(d) < tiny ? tiny : d;
            d = 1 / d;
            c = 1 + (numerator / c);
            c = Math.Abs(c) < tiny ? tiny : c;
            double cd = c * d;
            f *= cd;
            if (Math.Abs(1 - cd) < 1e-15)
            {
                break;
            }
        }

        return Math.Exp(logFront) * (f - 1);
    }

    private static double LogBeta(double a, double b) => LogGamma(a) + LogGamma(b) - LogGamma(a + b);

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, n = 9).</summary>
    private static double LogGamma(double x)
    {
        ReadOnlySpan<double> c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (x < 0.5)
        {
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        }

        x -= 1;
        double sum = c[0];
        for (int i = 1; i < 9; i++)
        {
            sum += c[i] / (x + i);
        }

        double t = x + 7.5;
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(sum);
    }

    private static double LogChoose(int n, int k) => LogGamma(n + 1) - LogGamma(k + 1) - LogGamma(n - k + 1);
}
