using EegDann.Core;

namespace EegDann.Model.Tests;

/// <summary>An <see cref="IProgress{T}"/> that keeps every report, synchronously.</summary>
internal sealed class RecordingProgress : IProgress<WorkProgress>
{
    public List<WorkProgress> Reports { get; } = [];

    public void Report(WorkProgress value) => Reports.Add(value);
}

/// <summary>Small synthetic data sets for invariants.</summary>
internal static class Synthetic
{
    /// <summary>Two Gaussian classes in <paramref name="dimensions"/> dimensions, centred at ±1 on the first axis, shifted by <paramref name="shift"/>.</summary>
    public static (SampleMatrix Samples, int[] Labels) Gaussians(int count, int dimensions, int seed, double shift = 0, double std = 0.5)
    {
        var random = new Random(seed);
        var values = new float[count * dimensions];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % 2;
            for (int d = 0; d < dimensions; d++)
            {
                double centre = d == 0 ? (labels[i] == 0 ? -1 : 1) : 0;
                values[i * dimensions + d] = (float)(centre + shift + std * Normal(random));
            }
        }

        return (new SampleMatrix(values, count, dimensions), labels);
    }

    public static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public static double Accuracy(int[] predicted, int[] labels) =>
        predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
}
