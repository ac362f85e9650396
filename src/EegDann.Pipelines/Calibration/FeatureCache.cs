using System.Collections.Concurrent;
using EegDann.Core;
using EegDann.Dsp.Features;
using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Pipelines.Calibration;

/// <summary>
/// What cross-subject work computes once per subject and reuses in every fold: each subject's
/// feature rows (with and without its alignment) when the pipeline's feature steps are not fitted
/// on the source, and each subject's per-band, per-class sums of epoch covariances for CSP. Both
/// depend on the subject's own data only (its alignment is fitted on its own unlabeled epochs), so
/// caching them never mixes subjects. Thread-safe.
/// </summary>
/// <remarks>
/// With a <c>directory</c>, feature rows are also kept on disk, content-addressed: the file name is
/// the SHA-256 of the signal pipeline's JSON, the EegDann version, the alignment and epoch kind, and
/// every epoch's origin and samples. Processes on one node (the shards of one evaluation) then
/// compute each subject's features once; a file is written atomically, and an unreadable one is
/// computed again. Values round-trip exactly (doubles), so a cached run gives the same numbers.
/// </remarks>
internal sealed class FeatureCache(CalibrationData data, string? directory = null)
{
    private readonly ConcurrentDictionary<(bool Aligned, string Subject, RowKind Kind), Lazy<FeatureTable>> _rows = new();
    private readonly ConcurrentDictionary<string, Lazy<ClassCovariances>> _covariances = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<IReadOnlyDictionary<(string, long), double[]>>> _tangent = new(StringComparer.Ordinal);

    /// <summary>Whether every feature step is unfitted, so rows can be cached per subject.</summary>
    public bool RowsArePerSubject { get; } = !data.Definition.FeatureSteps.Any(s => s.IsFitted);

    /// <summary>
    /// A subject's unstandardised feature rows: of its cue epochs, or of its unlabeled windows
    /// (<paramref name="windows"/>), aligned with its own alignment when <paramref name="aligned"/>.
    /// </summary>
    public FeatureTable Rows(bool aligned, SubjectData subject, bool windows) =>
        Rows(aligned, subject, windows ? RowKind.Windows : RowKind.Epochs);

    /// <summary>A subject's unstandardised feature rows of its crops (<see cref="CalibrationData.Crops"/>, labeled with their cue's class), aligned when <paramref name="aligned"/>; the crops' samples are dropped, the rows kept.</summary>
    public FeatureTable CropRows(bool aligned, SubjectData subject) => Rows(aligned, subject, RowKind.Crops);

    private FeatureTable Rows(bool aligned, SubjectData subject, RowKind kind) =>
        _rows.GetOrAdd((aligned, subject.Subject, kind), _ => new Lazy<FeatureTable>(() => Compute(aligned, subject, kind))).Value;

    /// <summary>The subject's per-band sums of centred epoch covariances for each class (unaligned; align with W·Σ·Wᵀ).</summary>
    public ClassCovariances Covariances(SubjectData subject) =>
        _covariances.GetOrAdd(subject.Subject, _ => new Lazy<ClassCovariances>(() => ClassCovariances.Compute(data, subject))).Value;

    /// <summary>
    /// The subject's cue epochs as tangent vectors at the identity of its re-centred covariances
    /// (band 0): logm(W·C·Wᵀ) with W its own Euclidean alignment, upper triangle with off-diagonal
    /// terms × √2, keyed by (recording, first sample).
    /// </summary>
    public IReadOnlyDictionary<(string, long), double[]> TangentVectors(SubjectData subject) =>
        _tangent.GetOrAdd(subject.Subject, _ => new Lazy<IReadOnlyDictionary<(string, long), double[]>>(() => TangentSpaceLr.Vectors(data, subject))).Value;

    private FeatureTable Compute(bool aligned, SubjectData subject, RowKind kind)
    {
        var set = kind == RowKind.Crops ? data.Crops(subject) : kind == RowKind.Windows ? subject.Windows! : subject.Epochs;
        if (directory is null)
        {
            return ComputeNow(aligned, subject, set);
        }

        string path = Path.Combine(directory, Key(data.SignalFor(aligned).Definition.Json, aligned, kind, set) + ".features.parquet");
        if (File.Exists(path))
        {
            try
            {
                var (table, _) = Recordings.Parquet.FeatureTableParquet.ReadAsync(path).GetAwaiter().GetResult();
                return table;
            }
            catch (Recordings.RecordingFormatException)
            {
                // Unreadable (e.g. from an older version): compute it again and replace it.
            }
        }

        var computed = ComputeNow(aligned, subject, set);
        Directory.CreateDirectory(directory);
        Recordings.Parquet.FeatureTableParquet.WriteAsync(computed, path, new Dictionary<string, string> { ["eegdann.subject"] = subject.Subject }).GetAwaiter().GetResult();
        return computed;
    }

    /// <summary>The content address of a subject's feature rows: SHA-256 of everything they are computed from.</summary>
    private static string Key(string signalJson, bool aligned, RowKind kind, EpochSet set)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        void Text(string text)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }

        Text("eegdann-features-1");
        Text(EegDannVersion.Current);
        Text(signalJson);
        Text(aligned ? "aligned" : "unaligned");
        Text(kind switch { RowKind.Windows => "windows", RowKind.Crops => "crops", _ => "epochs" });
        foreach (var epoch in set.Epochs)
        {
            Text(epoch.Info.Subject);
            Text(epoch.Info.Recording);
            Text(epoch.Info.Label ?? "\0");
            hash.AppendData(BitConverter.GetBytes(epoch.Info.StartSample));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(epoch.Data.AsSpan()));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private FeatureTable ComputeNow(bool aligned, SubjectData subject, EpochSet set)
    {
        var signal = data.SignalFor(aligned);
        var fitted = FeaturePipeline.FitPerSubject(signal, new Dictionary<string, Dsp.Alignment.AlignmentFit> { [subject.Subject] = subject.Alignment });
        return FeaturePipeline.Transform(signal.Definition, fitted, set);
    }

    /// <summary>What a subject's rows are of: its cue epochs, its unlabeled sliding windows, or its crops.</summary>
    private enum RowKind
    {
        Epochs,
        Windows,
        Crops,
    }
}

/// <summary>One subject's per-band, per-class sums of centred epoch covariances (n × n each) and counts.</summary>
/// <param name="Sums">[band][class] → n × n sum.</param>
/// <param name="Counts">[class] → epochs.</param>
internal sealed record ClassCovariances(double[][][] Sums, int[] Counts)
{
    public static ClassCovariances Compute(CalibrationData data, SubjectData subject)
    {
        var signal = data.Signal;
        int c = signal.Info.ChannelCount, bands = signal.BandCount, samples = signal.EpochSamples, classes = data.ClassNames.Count;
        var sums = Enumerable.Range(0, bands).Select(_ => Enumerable.Range(0, classes).Select(_ => new double[c * c]).ToArray()).ToArray();
        var counts = new int[classes];
        var context = new WindowContext(c, samples, signal.Info.SampleRateHz);
        foreach (var epoch in subject.Epochs.Epochs)
        {
            int k = IndexOf(data.ClassNames, epoch.Info.Label);
            counts[k]++;
            for (int b = 0; b < bands; b++)
            {
                context.Load(epoch.Data.AsSpan(b * c * samples, c * samples));
                var covariance = context.RawCovariance;
                var sum = sums[b][k];
                for (int i = 0; i < sum.Length; i++)
                {
                    sum[i] += covariance[i];
                }
            }
        }

        return new ClassCovariances(sums, counts);
    }

    public static int IndexOf(IReadOnlyList<string> classes, string? label)
    {
        for (int i = 0; i < classes.Count; i++)
        {
            if (string.Equals(classes[i], label, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ArgumentException($"label '{label}' is not one of the classes ({string.Join(", ", classes)}).");
    }
}

/// <summary>
/// The CSP + shrinkage LDA baseline over the pipeline's signal path: per band, CSP (6 components;
/// more than two classes: 6 per class, one-vs-rest) fitted on the labeled source's class-mean covariances (aligned per subject for <c>ea_csp_lda</c>),
/// ln-variance of the components, then a shrinkage LDA on the source features.
/// </summary>
internal static class CspLda
{
    public const int Components = 6;

    /// <summary>Filters per band: <see cref="Components"/> for two classes, that many per class one-vs-rest for more.</summary>
    public static int FilterCount(int classes) => classes == 2 ? Components : classes * Components;

    /// <summary>Fits on the sources (and labeled target epochs) and predicts the scored target epochs; with <paramref name="biasAdapted"/>, the LDA's bias re-estimated from all the target's epochs, unlabeled (<see cref="Model.BiasAdaptation"/>).</summary>
    public static int[] FitPredict(CalibrationData data, FeatureCache cache, bool aligned, IReadOnlyList<SubjectData> sources, SubjectData target, IReadOnlyList<Epoch> labeledTarget, IReadOnlyList<Epoch> scored, bool biasAdapted = false)
    {
        var signal = data.Signal;
        var classes = data.ClassNames;
        int c = signal.Info.ChannelCount, bands = signal.BandCount, samples = signal.EpochSamples, block = c * c;
        var filters = new double[bands][];
        var scratch = new double[block];
        for (int b = 0; b < bands; b++)
        {
            var means = classes.Select(_ => new double[block]).ToArray();
            var counts = new int[classes.Count];
            foreach (var source in sources)
            {
                var sums = cache.Covariances(source);
                for (int k = 0; k < classes.Count; k++)
                {
                    Accumulate(means[k], sums.Sums[b][k], aligned ? source.Alignment.BandWhitening(b) : default, c, scratch);
                    counts[k] += sums.Counts[k];
                }
            }

            var context = new WindowContext(c, samples, signal.Info.SampleRateHz);
            foreach (var epoch in labeledTarget)
            {
                int k = ClassCovariances.IndexOf(classes, epoch.Info.Label);
                context.Load(epoch.Data.AsSpan(b * c * samples, c * samples));
                Accumulate(means[k], context.RawCovariance, aligned ? target.Alignment.BandWhitening(b) : default, c, scratch);
                counts[k]++;
            }

            for (int k = 0; k < classes.Count; k++)
            {
                for (int i = 0; i < block; i++)
                {
                    means[k][i] /= counts[k];
                }
            }

            filters[b] = (classes.Count == 2
                ? Csp.FitFromClassMeans(means[0], means[1], classes, c, Components, 0)
                : Csp.FitOneVsRest(means, counts, classes, c, Components, 0)).Filters;
        }

        var sourceRows = new List<double>();
        var sourceLabels = new List<int>();
        foreach (var source in sources)
        {
            var combined = Combined(filters, aligned ? source.Alignment : null, c);
            foreach (var epoch in source.Epochs.Epochs)
            {
                sourceRows.AddRange(Features(combined, epoch, c, samples));
                sourceLabels.Add(ClassCovariances.IndexOf(classes, epoch.Info.Label));
            }
        }

        var targetCombined = Combined(filters, aligned ? target.Alignment : null, c);
        foreach (var epoch in labeledTarget)
        {
            sourceRows.AddRange(Features(targetCombined, epoch, c, samples));
            sourceLabels.Add(ClassCovariances.IndexOf(classes, epoch.Info.Label));
        }

        var lda = Model.ShrinkageLda.Fit(sourceRows.ToArray(), FilterCount(classes.Count) * bands, sourceLabels, classes.Count);
        if (biasAdapted)
        {
            lda = Model.BiasAdaptation.Adapt(lda, target.Epochs.Epochs.SelectMany(e => Features(targetCombined, e, c, samples)).ToArray());
        }

        var targetRows = scored.SelectMany(e => Features(targetCombined, e, c, samples)).ToArray();
        return lda.Predict(targetRows);
    }

    /// <summary>sum += W·S·Wᵀ (or S when <paramref name="whitening"/> is empty).</summary>
    private static void Accumulate(double[] sum, ReadOnlySpan<double> s, ReadOnlySpan<double> whitening, int n, double[] scratch)
    {
        if (whitening.IsEmpty)
        {
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += s[i];
            }

            return;
        }

        var aligned = new double[n * n];
        Matrices.Congruence(whitening, s, aligned, scratch, n, n);
        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] += aligned[i];
        }
    }

    /// <summary>Per band, the CSP filters applied after the subject's alignment: F·W (components × n).</summary>
    private static double[][] Combined(double[][] filters, Dsp.Alignment.AlignmentFit? alignment, int n)
    {
        var result = new double[filters.Length][];
        for (int b = 0; b < filters.Length; b++)
        {
            if (alignment is null)
            {
                result[b] = filters[b];
                continue;
            }

            int rows = filters[b].Length / n;
            result[b] = new double[rows * n];
            Matrices.Multiply(filters[b], alignment.BandWhitening(b), result[b], rows, n, n);
        }

        return result;
    }

    /// <summary>ln of the variance (population, mean removed) of each component of each band: ln(wᵀΣw).</summary>
    private static double[] Features(double[][] combined, Epoch epoch, int n, int samples)
    {
        int filters = combined[0].Length / n;
        var result = new double[combined.Length * filters];
        var y = new double[filters * samples];
        for (int b = 0; b < combined.Length; b++)
        {
            Matrices.Multiply(combined[b], epoch.Data.AsSpan(b * n * samples, n * samples), y, filters, n, samples);
            for (int k = 0; k < filters; k++)
            {
                var row = y.AsSpan(k * samples, samples);
                double mean = Matrices.Sum(row) / samples;
                double variance = Matrices.CenteredSumOfSquares(row, mean) / samples;
                result[(b * filters) + k] = Math.Log(Math.Max(variance, LogVarianceFeatures.VarianceFloor));
            }
        }

        return result;
    }
}

/// <summary>
/// EA + tangent space + logistic regression (pyRiemann's usual pipeline with Riemannian-style
/// re-centring per subject, here with each subject's Euclidean alignment): every subject's epoch
/// covariances are whitened by its own reference (fitted on its unlabeled epochs), so each
/// subject's mean sits at the identity, where the tangent space is taken; an L2 logistic
/// regression (C = 1, scikit-learn's default, not tuned) is fitted on the labeled source vectors;
/// more than two classes: one-vs-rest (one such regression per class against the others, the
/// largest decision value wins).
/// </summary>
internal static class TangentSpaceLr
{
    /// <summary>Scikit-learn's default inverse regularisation strength, used as is.</summary>
    public const double C = 1.0;

    public static IReadOnlyDictionary<(string, long), double[]> Vectors(CalibrationData data, SubjectData subject)
    {
        var signal = data.Signal;
        int n = signal.Info.ChannelCount, samples = signal.EpochSamples;
        var context = new WindowContext(n, samples, signal.Info.SampleRateHz);
        var identity = Matrices.Identity(n);
        var features = new TangentSpaceFeatures(new TangentSpaceFit(n, TangentSpaceMetric.Riemann, identity, identity, 0), signal.Info.Channels);
        var whitening = subject.Alignment.BandWhitening(0).ToArray();
        var result = new Dictionary<(string, long), double[]>();
        foreach (var epoch in subject.Epochs.Epochs)
        {
            context.Load(epoch.Data.AsSpan(0, n * samples));
            context.Align(whitening);
            var vector = new double[features.FeatureNames.Count];
            features.Extract(context, vector);
            result[(epoch.Info.Recording, epoch.Info.StartSample)] = vector;
        }

        return result;
    }

    /// <summary>Fits on the sources (and labeled target epochs) and predicts <paramref name="evaluated"/>; with <paramref name="biasAdapted"/>, the intercept(s) re-estimated from all the target's epochs, unlabeled (<see cref="Model.BiasAdaptation"/>).</summary>
    public static int[] FitPredict(CalibrationData data, FeatureCache cache, IReadOnlyList<SubjectData> sources, SubjectData target, IReadOnlyList<Epoch> labeledTarget, IReadOnlyList<Epoch> evaluated, bool biasAdapted = false)
    {
        var classes = data.ClassNames;
        var rows = new List<double>();
        var labels = new List<int>();
        int d = 0;
        foreach (var source in sources)
        {
            var vectors = cache.TangentVectors(source);
            foreach (var epoch in source.Epochs.Epochs)
            {
                var v = vectors[(epoch.Info.Recording, epoch.Info.StartSample)];
                d = v.Length;
                rows.AddRange(v);
                labels.Add(ClassCovariances.IndexOf(classes, epoch.Info.Label));
            }
        }

        var targetVectors = cache.TangentVectors(target);
        foreach (var epoch in labeledTarget)
        {
            var v = targetVectors[(epoch.Info.Recording, epoch.Info.StartSample)];
            d = v.Length;
            rows.AddRange(v);
            labels.Add(ClassCovariances.IndexOf(classes, epoch.Info.Label));
        }

        var evaluatedRows = evaluated.SelectMany(e => targetVectors[(e.Info.Recording, e.Info.StartSample)]).ToArray();
        var unlabeledRows = biasAdapted ? target.Epochs.Epochs.SelectMany(e => targetVectors[(e.Info.Recording, e.Info.StartSample)]).ToArray() : [];
        if (classes.Count == 2)
        {
            var model = Model.LogisticRegression.Fit(rows.ToArray(), d, labels, C);
            return (biasAdapted ? Model.BiasAdaptation.Adapt(model, unlabeledRows) : model).Predict(evaluatedRows);
        }

        var oneVsRest = Model.OneVsRestLogisticRegression.Fit(rows.ToArray(), d, labels, classes.Count, C);
        return (biasAdapted ? Model.BiasAdaptation.Adapt(oneVsRest, unlabeledRows) : oneVsRest).Predict(evaluatedRows);
    }
}
