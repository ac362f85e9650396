using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>How a model was trained: recorded in the model file beside the weights.</summary>
/// <param name="Method">The training method.</param>
/// <param name="Seed">The seed.</param>
/// <param name="Options">Every training setting.</param>
/// <param name="SourceSamples">Labeled source samples used.</param>
/// <param name="SourceDomains">Distinct source domains (subjects) in the source.</param>
/// <param name="TargetSamples">Unlabeled target samples available.</param>
/// <param name="TargetLabeledSamples">Labeled target samples used (semi-supervised), else 0.</param>
/// <param name="Steps">Optimisation steps taken.</param>
/// <param name="Threads">libtorch intra-op threads during training (determinism holds for the same count).</param>
/// <param name="Epochs">Per-epoch diagnostics.</param>
/// <param name="Reweighting">The importance weights' summary (reweighting only), else null.</param>
public sealed record TrainingRecord(
    TrainingMethod Method,
    int Seed,
    TrainingOptions Options,
    int SourceSamples,
    int SourceDomains,
    int TargetSamples,
    int TargetLabeledSamples,
    long Steps,
    int Threads,
    IReadOnlyList<EpochDiagnostics> Epochs,
    ImportanceWeightSummary? Reweighting)
{
    /// <summary>Diagnostics of the last epoch.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public EpochDiagnostics? Final => Epochs.Count > 0 ? Epochs[^1] : null;
}

/// <summary>
/// A trained domain-adversarial network with what it needs to decode: class names and the
/// fitted input standardisation (inside the network). Always in evaluation mode. Owns native
/// memory: dispose it when done.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    private bool disposed;

    internal TrainedModel(DannNetwork network, IReadOnlyList<string> classNames, TrainingRecord training)
    {
        Network = network;
        ClassNames = classNames.ToArray();
        Training = training;
        network.eval();
    }

    /// <summary>The network (evaluation mode). Use <see cref="CreatePredictor"/> to decode.</summary>
    public DannNetwork Network { get; }

    /// <summary>The architecture.</summary>
    public NetworkSpec Spec => Network.Spec;

    /// <summary>Class names; class index <c>k</c> is <c>ClassNames[k]</c>.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>How the model was trained.</summary>
    public TrainingRecord Training { get; }

    /// <summary>A predictor for this model (one per thread; see <see cref="ModelPredictor"/>).</summary>
    /// <exception cref="ObjectDisposedException">When the model was disposed.</exception>
    public ModelPredictor CreatePredictor()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return new(this);
    }

    /// <summary>Class probabilities of every sample, row-major <c>[sample · classes + class]</c>.</summary>
    public float[] PredictProbabilities(SampleMatrix samples)
    {
        // A batch goes through libtorch; no predictor (and no copy of the weights for one-sample decoding) is needed.
        ObjectDisposedException.ThrowIf(disposed, this);
        return ModelPredictor.Batch(this, samples);
    }

    /// <summary>The most probable class of every sample.</summary>
    public int[] Predict(SampleMatrix samples)
    {
        var probabilities = PredictProbabilities(samples);
        int k = ClassNames.Count;
        var predicted = new int[samples.Count];
        for (int i = 0; i < predicted.Length; i++)
        {
            var row = probabilities.AsSpan(i * k, k);
            int best = 0;
            for (int c = 1; c < k; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }

            predicted[i] = best;
        }

        return predicted;
    }

    /// <summary>
    /// The extractor's features of every sample (after standardisation), one row per sample — e.g. to
    /// project source and target features before and after adaptation.
    /// </summary>
    public float[][] ExtractFeatures(SampleMatrix samples) => Rows(samples, x => Network.Features(Network.Standardize(x)));

    /// <summary>
    /// Every sample as the network's input standardisation gives it to the extractor, one row per
    /// sample — e.g. to draw the inputs on the same scale as training saw them.
    /// </summary>
    public float[][] Standardize(SampleMatrix samples) => Rows(samples, Network.Standardize);

    /// <summary><paramref name="map"/> over <paramref name="samples"/> in chunks, without gradient, one host row per sample.</summary>
    private float[][] Rows(SampleMatrix samples, Func<Tensor, Tensor> map)
    {
        CheckShape(samples);
        var rows = new float[samples.Count][];
        using var noGrad = no_grad();
        foreach (var (start, count) in Chunks(samples.Count))
        {
            using var scope = NewDisposeScope();
            var f = map(ToTensor(samples, start, count)).contiguous();
            var values = f.ToHostArray<float>();
            int width = (int)(f.numel() / count);
            for (int i = 0; i < count; i++)
            {
                rows[start + i] = values.AsSpan(i * width, width).ToArray();
            }
        }

        return rows;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        Network.Dispose();
    }

    internal void CheckShape(SampleMatrix samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (!samples.SampleShape.SequenceEqual(Spec.SampleShape))
        {
            throw new ArgumentException($"The model reads samples of shape [{string.Join(", ", Spec.SampleShape)}], got [{string.Join(", ", samples.SampleShape)}].", nameof(samples));
        }
    }

    internal static IEnumerable<(int Start, int Count)> Chunks(int total, int chunk = 4096)
    {
        for (int start = 0; start < total; start += chunk)
        {
            yield return (start, Math.Min(chunk, total - start));
        }
    }

    internal static Tensor ToTensor(SampleMatrix samples, int start, int count)
    {
        long[] shape = [count, .. samples.SampleShape.Select(s => (long)s)];
        var slice = new float[(long)count * samples.SampleSize];
        Array.Copy(samples.Values, (long)start * samples.SampleSize, slice, 0, slice.LongLength);
        return tensor(slice, shape);
    }
}

/// <summary>
/// Class probabilities from a <see cref="TrainedModel"/>: for a batch (libtorch's forward pass), or
/// for one sample cheaply and without allocating — an MLP network's forward pass in managed code over
/// a copy of its weights taken when the predictor is made (<see cref="MlpForward"/>), else one libtorch
/// forward pass in its own dispose scope. One sample's probabilities equal the batch result up to
/// float rounding. Not thread-safe: use one predictor per thread. It holds no native memory of its
/// own; the model must outlive it.
/// </summary>
public sealed class ModelPredictor
{
    private readonly TrainedModel model;
    private readonly float[] single;
    private readonly long[] singleShape;
    private readonly MlpForward? managed;

    internal ModelPredictor(TrainedModel model)
    {
        this.model = model;
        single = new float[model.Spec.SampleSize];
        singleShape = [1, .. model.Spec.SampleShape.Select(s => (long)s)];
        managed = MlpForward.TryCreate(model.Network);
    }

    /// <summary>Number of classes (length of a probability vector).</summary>
    public int ClassCount => model.ClassNames.Count;

    /// <summary>Number of values in one input sample.</summary>
    public int SampleSize => single.Length;

    /// <summary>
    /// Class probabilities of one sample (row-major values of the model's sample shape) into
    /// <paramref name="probabilities"/> (length <see cref="ClassCount"/>).
    /// </summary>
    /// <exception cref="ArgumentException">When the lengths do not fit the model.</exception>
    public void PredictProbabilities(ReadOnlySpan<float> sample, Span<float> probabilities)
    {
        if (sample.Length != single.Length)
        {
            throw new ArgumentException($"The model reads samples of {single.Length} values, got {sample.Length}.", nameof(sample));
        }

        if (probabilities.Length != ClassCount)
        {
            throw new ArgumentException($"The model has {ClassCount} classes, the output span has {probabilities.Length} values.", nameof(probabilities));
        }

        if (managed != null)
        {
            managed.Probabilities(sample, probabilities);
            return;
        }

        sample.CopyTo(single);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = model.Network.forward(tensor(single, singleShape)).softmax(1);
        p.CopyToHost(probabilities);
    }

    /// <summary>Class probabilities of every sample, row-major <c>[sample · classes + class]</c>.</summary>
    /// <exception cref="ArgumentException">When the samples' shape differs from the model's.</exception>
    public float[] PredictProbabilities(SampleMatrix samples) => Batch(model, samples);

    /// <summary>Class probabilities of every sample through libtorch's forward pass, in chunks.</summary>
    internal static float[] Batch(TrainedModel model, SampleMatrix samples)
    {
        model.CheckShape(samples);
        int k = model.ClassNames.Count;
        var result = new float[(long)samples.Count * k];
        using var noGrad = no_grad();
        foreach (var (start, count) in TrainedModel.Chunks(samples.Count))
        {
            using var scope = NewDisposeScope();
            var p = model.Network.forward(TrainedModel.ToTensor(samples, start, count)).softmax(1);
            p.CopyToHost(result.AsSpan(start * k, count * k));
        }

        return result;
    }
}
