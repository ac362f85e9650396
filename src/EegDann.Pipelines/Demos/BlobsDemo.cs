using EegDann.Core;
using EegDann.Model;
using EegDann.Reports;

namespace EegDann.Pipelines.Demos;

/// <summary>One method's outcome on the two-blob problem.</summary>
/// <param name="Method">The training method.</param>
/// <param name="TargetAccuracy">Accuracy on the (unlabeled during training) target points, in [0, 1].</param>
/// <param name="SourceAccuracy">Accuracy on the labeled source points, in [0, 1].</param>
/// <param name="Final">Diagnostics of the last epoch.</param>
/// <param name="Steps">Optimisation steps.</param>
/// <param name="Seconds">Wall time of training.</param>
public sealed record BlobsMethodResult(TrainingMethod Method, double TargetAccuracy, double SourceAccuracy, EpochDiagnostics Final, long Steps, double Seconds);

/// <summary>The outcome of the two-blob demo for one seed.</summary>
/// <param name="Seed">The seed of the data and of training.</param>
/// <param name="TargetShift">The translation of the target domain.</param>
/// <param name="Methods">source_only, then dann.</param>
/// <param name="Png">The figure (source and target points with both decision boundaries), when asked for.</param>
public sealed record BlobsDemoResult(int Seed, (double X, double Y) TargetShift, IReadOnlyList<BlobsMethodResult> Methods, byte[]? Png)
{
    /// <summary>The result of <paramref name="method"/>.</summary>
    public BlobsMethodResult this[TrainingMethod method] => Methods.Single(m => m.Method == method);
}

/// <summary>
/// The DANN article's toy experiment: two Gaussian classes per domain (<see cref="TwoBlobs"/>, the
/// Python reference's data), a network trained on the labeled source only, and the same network
/// trained with DANN on the labeled source and the unlabeled target; both scored on the target.
/// </summary>
public static class BlobsDemo
{
    /// <summary>
    /// The training settings of the demo, the same for every seed: the paper's schedules and
    /// optimiser (see <see cref="TrainingOptions"/>), the reference script's network
    /// (2 → 32 → 32, domain head 32 → 32 → 2, batches of 64 + 64) and 200 epochs.
    /// </summary>
    public static TrainingOptions Settings { get; } = new();

    /// <summary>Runs the demo for <paramref name="seed"/>.</summary>
    /// <param name="seed">Seed of the data and of training, ≥ 0.</param>
    /// <param name="plot">Also render the figure.</param>
    /// <param name="targetShift">The target's translation; <see cref="TwoBlobs.DefaultTargetShift"/> when null.</param>
    /// <param name="progress">Per-epoch progress of each training, or null.</param>
    /// <param name="cancellationToken">Stops training.</param>
    /// <exception cref="TrainingFailedException">When a training diverges (it does not with these settings).</exception>
    public static BlobsDemoResult Run(int seed, bool plot, (double X, double Y)? targetShift = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seed);
        var shift = targetShift ?? TwoBlobs.DefaultTargetShift;
        var data = TwoBlobs.Generate(seed, shift);
        var problem = new TrainingProblem(new LabeledSamples(data.Source, data.SourceLabels), data.Target, TwoBlobs.ClassNames);
        var results = new List<BlobsMethodResult>();
        var surfaces = new List<DecisionSurface>();
        var extent = Extent(data);
        foreach (var method in new[] { TrainingMethod.SourceOnly, TrainingMethod.Dann })
        {
            var run = Trainers.Train(problem, Settings with { Method = method, Seed = seed }, progress, cancellationToken);
            using var model = run.RequireModel();
            results.Add(new BlobsMethodResult(
                method,
                Accuracy(model.Predict(data.Target), data.TargetLabels),
                Accuracy(model.Predict(data.Source), data.SourceLabels),
                run.Epochs[^1],
                run.Steps,
                run.Elapsed.TotalSeconds));
            if (plot)
            {
                surfaces.Add(Surface(model, extent));
            }
        }

        byte[]? png = plot ? Figure(seed, data, results, surfaces) : null;
        return new BlobsDemoResult(seed, shift, results, png);
    }

    private static double Accuracy(int[] predicted, int[] labels) =>
        predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;

    private static (double XMin, double XMax, double YMin, double YMax) Extent(BlobsData data)
    {
        var all = data.Source.Values.Concat(data.Target.Values).ToArray();
        var xs = all.Where((_, i) => i % 2 == 0).ToArray();
        var ys = all.Where((_, i) => i % 2 == 1).ToArray();
        return (xs.Min() - 0.5, xs.Max() + 0.5, ys.Min() - 0.5, ys.Max() + 0.5);
    }

    private static DecisionSurface Surface(TrainedModel model, (double XMin, double XMax, double YMin, double YMax) e)
    {
        const int n = 160;
        var grid = new float[n * n * 2];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                grid[(r * n + c) * 2] = (float)(e.XMin + c * (e.XMax - e.XMin) / (n - 1));
                grid[(r * n + c) * 2 + 1] = (float)(e.YMin + r * (e.YMax - e.YMin) / (n - 1));
            }
        }

        var probabilities = model.PredictProbabilities(new SampleMatrix(grid, n * n, 2));
        var p = new double[n, n];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                p[r, c] = probabilities[(r * n + c) * 2 + 1];
            }
        }

        return new DecisionSurface(e.XMin, e.XMax, e.YMin, e.YMax, p);
    }

    private static byte[] Figure(int seed, BlobsData data, IReadOnlyList<BlobsMethodResult> results, IReadOnlyList<DecisionSurface> surfaces)
    {
        var points = new List<PointGroup>();
        void Add(string domain, SampleMatrix samples, int[] labels, PointStyle style)
        {
            for (int k = 0; k < 2; k++)
            {
                var rows = Enumerable.Range(0, samples.Count).Where(i => labels[i] == k).ToArray();
                points.Add(new PointGroup($"{domain} class {k}", rows.Select(i => (double)samples.Sample(i)[0]).ToArray(), rows.Select(i => (double)samples.Sample(i)[1]).ToArray(), k, style));
            }
        }

        Add("source", data.Source, data.SourceLabels, PointStyle.Filled);
        Add("target", data.Target, data.TargetLabels, PointStyle.Open);
        var panels = results.Select((r, i) => new ScatterPanel(
            $"{(r.Method == TrainingMethod.Dann ? "DANN" : "Source only")} (seed {seed}): target accuracy {r.TargetAccuracy:F3}",
            points,
            surfaces[i])).ToList();
        return ScatterFigures.RenderPng(panels);
    }
}
