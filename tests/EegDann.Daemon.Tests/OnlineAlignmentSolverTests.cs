using EegDann.Dsp.Alignment;
using Xunit.Abstractions;

namespace EegDann.Daemon.Tests;

/// <summary>
/// The stream's alignment computes R^-1/2 with the vectorised eigen-solver; calibration keeps the
/// EISPACK loop order. On real covariance sequences the two must agree to rounding, so a decision
/// cannot depend on which one ran.
/// </summary>
public sealed class OnlineAlignmentSolverTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("S001", 0.0)]
    [InlineData("S003", 0.05)]
    public void EveryStreamUpdateOfTheWhiteningEqualsTheEispackOneWithin1e12(string subject, double shrinkage)
    {
        const int length = 320, stride = 10, windows = 300;
        var recording = TestModels.Read(subject, "R04");
        int n = recording.Samples.Length;
        var options = new EuclideanAlignmentOptions { Shrinkage = shrinkage };
        var online = new OnlineEuclideanAlignment(subject, n, options);
        var moment = new double[n * n];
        double worst = 0;
        int compared = 0;
        // The snapshots of the last windows: a periodic update's R^-1/2 is in use two windows after it
        // was due, computed from the running mean as of then (the end of the warm-up's at once).
        var snapshots = new Queue<AlignmentFit>();
        for (int w = 0; w < windows; w++)
        {
            SecondMoment(recording.Samples, w * stride, length, moment);
            online.Observe(moment);
            snapshots.Enqueue(online.Snapshot());
            if (snapshots.Count > 3)
            {
                snapshots.Dequeue();
            }

            if (online.Updates > compared)
            {
                // The snapshot shrinks the same running mean and decomposes it in the EISPACK order (as calibration does).
                int late = online.Updates == 1 ? 0 : Math.Min(2, options.UpdateEveryWindows);
                var expected = snapshots.ElementAt(snapshots.Count - 1 - late).Whitening;
                double difference = 0, norm = 0;
                for (int i = 0; i < expected.Length; i++)
                {
                    difference += (expected[i] - online.Whitening[i]) * (expected[i] - online.Whitening[i]);
                    norm += expected[i] * expected[i];
                }

                double relative = Math.Sqrt(difference / norm);
                Assert.True(relative < 1e-12, $"update {online.Updates} after {online.WindowCount} windows: R^-1/2 differs by {relative:G3} relative (Frobenius)");
                worst = Math.Max(worst, relative);
                compared = (int)online.Updates;
            }
        }

        Assert.True(compared >= 10, $"only {compared} updates compared");
        output.WriteLine($"{subject}R04, shrinkage {shrinkage}: {compared} updates of R^-1/2, largest relative difference {worst:G3}");
    }

    // X·Xᵀ / length over one window of raw samples (channel-major).
    private static void SecondMoment(float[][] samples, int start, int length, double[] moment)
    {
        int n = samples.Length;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double s = 0;
                for (int t = start; t < start + length; t++)
                {
                    s += (double)samples[i][t] * samples[j][t];
                }

                moment[(i * n) + j] = moment[(j * n) + i] = s / length;
            }
        }
    }
}
