using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Dsp.Segmentation;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines;

/// <summary>
/// Fitting and applying a pipeline's window stages (alignment, features, standardisation) to
/// epochs: what calibration, evaluation and export use. Fit returns an immutable
/// <see cref="FittedPipeline"/>; transforming never refits.
/// </summary>
public static class FeaturePipeline
{
    /// <summary>Fits one subject's Euclidean alignment from its epochs or windows (labels are ignored): the pipeline's alignment step's own fit.</summary>
    /// <exception cref="InvalidOperationException">When the pipeline has no alignment step.</exception>
    public static AlignmentFit FitAlignment(SignalPipeline signal, EpochSet unlabeled)
    {
        ArgumentNullException.ThrowIfNull(signal);
        return AlignmentOf(signal).Fit(signal, unlabeled);
    }

    /// <summary>
    /// Fits one subject's Euclidean alignment on every sliding window of its recordings (the
    /// <c>windows</c> reference: what the live stream sees), without keeping the windows: the pipeline's alignment step's own fit.
    /// </summary>
    /// <exception cref="InvalidOperationException">When the pipeline has no alignment step.</exception>
    public static AlignmentFit FitAlignmentOnWindows(SignalPipeline signal, string subject, IReadOnlyList<Recording> recordings)
    {
        ArgumentNullException.ThrowIfNull(signal);
        return AlignmentOf(signal).FitOnWindows(signal, subject, recordings);
    }

    // The alignment step by its own type: one subject's alignment is fitted on that subject's unlabeled
    // epochs or recordings, an input no other step takes (standardisation fits on the source's feature rows).
    private static EuclideanAlignmentSpec AlignmentOf(SignalPipeline signal) =>
        signal.Definition.Alignment ?? throw new InvalidOperationException($"pipeline '{signal.Definition.Name}' has no euclidean_alignment step.");

    /// <summary>
    /// Fits the window stages: each subject's alignment (from <paramref name="alignments"/> when
    /// given, else from that subject's epochs here, labels unused), then the feature steps and the
    /// standardisation on the labeled source only.
    /// </summary>
    /// <param name="signal">The compiled signal path (its designs are recorded in the fit).</param>
    /// <param name="labeledSource">The source subjects' labeled epochs, one set per subject.</param>
    /// <param name="unlabeled">Other subjects (the target) whose alignment should be fitted from these epochs; their labels are never read.</param>
    /// <param name="alignments">Precomputed alignments by subject (e.g. fitted on sliding windows); others are fitted from the epochs given.</param>
    /// <param name="recordings">Each subject's recordings, by subject: what a standardisation per subject on the <c>windows</c> reference takes its statistics on (<see cref="StandardizeSpec.FitOnWindows"/>).</param>
    /// <exception cref="ArgumentException">When the source is empty or unlabeled, or a fit fails (the message says which).</exception>
    public static FittedPipeline Fit(SignalPipeline signal, IReadOnlyList<EpochSet> labeledSource, IReadOnlyList<EpochSet>? unlabeled = null, IReadOnlyDictionary<string, AlignmentFit>? alignments = null, IReadOnlyDictionary<string, IReadOnlyList<Recording>>? recordings = null)
    {
        ArgumentNullException.ThrowIfNull(signal);
        ArgumentNullException.ThrowIfNull(labeledSource);
        var definition = signal.Definition;
        if (labeledSource.Sum(s => s.Count) == 0)
        {
            throw new FitDataException("the labeled source has no epochs.");
        }

        foreach (var set in labeledSource)
        {
            CheckShape(signal, set);
            var unlabeledEpoch = set.Epochs.FirstOrDefault(e => e.Info.Label is null);
            if (unlabeledEpoch != null)
            {
                throw new ArgumentException($"source epoch of {unlabeledEpoch.Info.Recording} at sample {unlabeledEpoch.Info.StartSample} has no label.", nameof(labeledSource));
            }
        }

        // Each subject's alignment on its own unlabeled epochs (sources and target alike), unless given.
        var shape = new FeatureShape(signal.Info.Channels, signal.EpochSamples, signal.Info.SampleRateHz);
        var fitted = SignalFit(signal, definition.Alignment?.FitSubjects(signal, labeledSource.Concat(unlabeled ?? []), alignments));

        if (!definition.FeatureSteps.Any())
        {
            return fitted;
        }

        // Aligned covariances and labels of the source, band by band: what the feature steps are fitted on.
        int bands = signal.BandCount, bandSize = signal.Info.ChannelCount * signal.EpochSamples;
        var context = new WindowContext(signal.Info.ChannelCount, signal.EpochSamples, signal.Info.SampleRateHz);
        var covariances = Enumerable.Range(0, bands).Select(_ => new List<double[]>()).ToArray();
        var labels = new List<string>();
        int block = signal.Info.ChannelCount * signal.Info.ChannelCount;
        bool anyFitted = definition.FeatureSteps.Any(step => step.IsFitted);
        foreach (var set in anyFitted ? labeledSource : [])
        {
            var whitening = Whitening(fitted, set.Subject);
            foreach (var epoch in set.Epochs)
            {
                for (int b = 0; b < bands; b++)
                {
                    context.Load(epoch.Data.AsSpan(b * bandSize, bandSize));
                    if (whitening != null)
                    {
                        context.Align(whitening.AsSpan(b * block, block));
                    }

                    covariances[b].Add((double[])context.Covariance.Clone());
                }

                labels.Add(epoch.Info.Label!);
            }
        }

        var features = new List<FeatureStepFit>();
        for (int b = 0; b < bands; b++)
        {
            var fitData = new FeatureFitData(covariances[b], labels, shape);
            foreach (var step in definition.FeatureSteps)
            {
                FeatureStepFit fit;
                try
                {
                    fit = step.Fit(fitData);
                }
                catch (FitDataException e)
                {
                    string band = definition.DescribeBand(b) is { } name ? ", " + name : "";
                    throw new FitDataException($"pipeline '{definition.Name}', step '{step.Type}'{band}: {e.Message}", e);
                }

                features.Add(fit);
            }
        }

        fitted = fitted with { States = [.. fitted.States, .. features] };
        var unstandardized = CreateFeaturizer(definition, fitted, standardize: false);
        fitted = fitted with { FeatureNames = unstandardized.FeatureNames };
        // Standardisation by its own type, last: it fits on feature rows, which exist only now — the
        // source's pooled, or each subject's own unlabeled rows (sources and target alike, labels unused).
        if (definition.Standardization is { Per: StandardizationScope.Subject, Reference: AlignmentReference.Windows } onWindows)
        {
            var statistics = new Dictionary<string, StandardizationFit>(StringComparer.Ordinal);
            foreach (string subject in labeledSource.Concat(unlabeled ?? []).Select(set => set.Subject).Distinct(StringComparer.Ordinal))
            {
                statistics[subject] = recordings != null && recordings.TryGetValue(subject, out var own)
                    ? StandardizeSpec.FitOnWindows(definition, fitted, subject, own)
                    : throw new ArgumentException($"pipeline '{definition.Name}' standardises each subject on its windows: pass the recordings of subject '{subject}', which a fit on epochs does not have.", nameof(recordings));
            }

            fitted = fitted with { States = [.. fitted.States, new FittedSubjectStandardization(onWindows.WarmupWindows, onWindows.UpdateEveryWindows, statistics)] };
        }
        else if (definition.Standardization is { Per: StandardizationScope.Subject } perSubject)
        {
            var sets = labeledSource.Concat(unlabeled ?? []).ToArray();
            fitted = fitted with { States = [.. fitted.States, perSubject.FitSubjects(sets.Select(set => (set.Subject, Transform([set], fitted, unstandardized))))] };
        }
        else if (definition.Standardization is { } standardize)
        {
            fitted = fitted with { States = [.. fitted.States, standardize.Fit(Transform(labeledSource, fitted, unstandardized))] };
        }

        return fitted;
    }

    /// <summary>
    /// The fit of a pipeline whose feature steps are not fitted on the source (log-variance, band
    /// power, covariance): only each subject's alignment, given here, and no standardisation. A
    /// subject's features then depend on that subject's own data alone, so cross-subject
    /// evaluation computes them once per subject and fits the source-side standardisation per fold.
    /// </summary>
    /// <param name="signal">The compiled signal path.</param>
    /// <param name="alignments">Alignment of every subject, by subject (ignored when the pipeline does not align).</param>
    /// <exception cref="ArgumentException">When a feature step is fitted on the source (CSP, tangent space).</exception>
    public static FittedPipeline FitPerSubject(SignalPipeline signal, IReadOnlyDictionary<string, AlignmentFit> alignments)
    {
        ArgumentNullException.ThrowIfNull(signal);
        ArgumentNullException.ThrowIfNull(alignments);
        var definition = signal.Definition;
        var fittedStep = definition.FeatureSteps.FirstOrDefault(s => s.IsFitted);
        if (fittedStep != null)
        {
            throw new ArgumentException($"pipeline '{definition.Name}': step '{fittedStep.Type}' is fitted on the source, so its features are not per subject.", nameof(signal));
        }

        // No step reads the source here (checked above), so each step's fit is its empty state.
        var nothing = new FeatureFitData([], [], new FeatureShape(signal.Info.Channels, signal.EpochSamples, signal.Info.SampleRateHz));
        var alignment = definition.Alignment is { } step ? new FittedAlignment(step.Options, new Dictionary<string, AlignmentFit>(alignments, StringComparer.Ordinal)) : null;
        var fitted = SignalFit(signal, alignment);
        fitted = fitted with { States = [.. fitted.States, .. Enumerable.Range(0, signal.BandCount).SelectMany(_ => definition.FeatureSteps.Select(s => s.Fit(nothing)))] };
        return fitted with { FeatureNames = CreateFeaturizer(definition, fitted, standardize: false).FeatureNames };
    }

    /// <summary>The fitted state of the signal path and the alignment alone, before any feature step is fitted.</summary>
    private static FittedPipeline SignalFit(SignalPipeline signal, FittedAlignment? alignment) => new()
    {
        PipelineName = signal.Definition.Name,
        Channels = signal.Info.Channels,
        SampleRateHz = signal.Info.SampleRateHz,
        EpochSamples = signal.EpochSamples,
        ClassNames = signal.Definition.ClassNames,
        States = [.. signal.FittedSteps, .. alignment is null ? [] : new IFittedState[] { alignment }],
        FeatureNames = [],
    };

    /// <summary>The features of a subject's epochs (one row each), aligned with that subject's fitted alignment.</summary>
    /// <exception cref="InvalidOperationException">When the pipeline aligns and no alignment was fitted for the subject.</exception>
    public static FeatureTable Transform(PipelineDefinition definition, FittedPipeline fitted, EpochSet epochs)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(fitted);
        ArgumentNullException.ThrowIfNull(epochs);
        if (epochs.Count > 0 && (epochs.Info.ChannelCount != fitted.Channels.Count * fitted.BandCount || epochs.SampleCount != fitted.EpochSamples))
        {
            throw new ArgumentException($"epochs of {epochs.Subject} are {epochs.Info.ChannelCount} × {epochs.SampleCount}, the fitted pipeline expects {fitted.Channels.Count * fitted.BandCount} × {fitted.EpochSamples}.", nameof(epochs));
        }

        return Transform([epochs], fitted, CreateFeaturizer(definition, fitted, standardize: true, epochs.Subject));
    }

    /// <summary>The per-window featurizer of a fitted pipeline (shared with the live decoder).</summary>
    /// <param name="definition">The pipeline.</param>
    /// <param name="fitted">Its fitted state.</param>
    /// <param name="standardize">Whether the features are standardised (with the source's statistics, or with <paramref name="subject"/>'s when the pipeline standardises per subject).</param>
    /// <param name="subject">Whose windows these are: needed when the pipeline standardises per subject.</param>
    /// <exception cref="InvalidOperationException">When the pipeline standardises per subject and <paramref name="subject"/> is null or has no statistics.</exception>
    public static WindowFeaturizer CreateFeaturizer(PipelineDefinition definition, FittedPipeline fitted, bool standardize = true, string? subject = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(fitted);
        var steps = definition.FeatureSteps.ToArray();
        int bands = definition.BandCount;
        if (fitted.BandCount != bands)
        {
            throw new ArgumentException($"the fitted pipeline has {fitted.BandCount} band(s), the definition {bands}.", nameof(fitted));
        }

        if (steps.Length * bands != fitted.Features.Count || fitted.Features.Where((f, i) => f.Type != steps[i % steps.Length].Type).Any())
        {
            throw new ArgumentException($"the fitted pipeline's feature steps ({string.Join(", ", fitted.Features.Select(f => f.Type))}) do not match the definition's ({string.Join(", ", steps.Select(s => s.Type))}) for {bands} band(s).", nameof(fitted));
        }

        var shape = new FeatureShape(fitted.Channels, fitted.EpochSamples, fitted.SampleRateHz);
        var extractors = Enumerable.Range(0, bands)
            .Select(b => (IReadOnlyList<IFeatureExtractor>)steps.Select((s, i) => s.Create(shape, fitted.Features[(b * steps.Length) + i])).ToArray())
            .ToArray();
        return new WindowFeaturizer(fitted.Channels.Count, fitted.EpochSamples, fitted.SampleRateHz, extractors, definition.BandTags, standardize ? StandardizationOf(fitted, subject) : null);
    }

    /// <summary>The statistics that standardise <paramref name="subject"/>'s rows: the source's, the subject's own, or null when the pipeline does not standardise.</summary>
    /// <exception cref="InvalidOperationException">When the pipeline standardises per subject and <paramref name="subject"/> is null or has no statistics.</exception>
    public static StandardizationFit? StandardizationOf(FittedPipeline fitted, string? subject)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        if (fitted.SubjectStandardization is not { } perSubject)
        {
            return fitted.Standardization?.Statistics;
        }

        return subject is null
            ? throw new InvalidOperationException($"pipeline '{fitted.PipelineName}' standardises each subject with its own statistics: say whose windows these are.")
            : perSubject.For(subject) ?? throw new InvalidOperationException($"pipeline '{fitted.PipelineName}' has no feature standardisation for subject '{subject}': fit it on the subject's unlabeled epochs (calibrate-new-subject), or let the live path estimate it from the stream.");
    }

    /// <summary>R^-1/2 of a subject, or null when the pipeline does not align.</summary>
    /// <exception cref="InvalidOperationException">When the pipeline aligns and the subject has no fitted alignment.</exception>
    public static double[]? Whitening(FittedPipeline fitted, string subject)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        if (fitted.Alignment is null)
        {
            return null;
        }

        return fitted.Alignment.For(subject) is { } fit
            ? fit.Whitening
            : throw new InvalidOperationException($"no Euclidean alignment was fitted for subject '{subject}': fit it from the subject's unlabeled epochs first (FeaturePipeline.FitAlignment, FittedPipeline.WithSubjectAlignment).");
    }

    private static FeatureTable Transform(IReadOnlyList<EpochSet> sets, FittedPipeline fitted, WindowFeaturizer featurizer)
    {
        int total = sets.Sum(s => s.Count), f = featurizer.FeatureCount;
        var values = new double[total * f];
        var rows = new List<EpochInfo>(total);
        int r = 0;
        foreach (var set in sets)
        {
            var whitening = Whitening(fitted, set.Subject);
            foreach (var epoch in set.Epochs)
            {
                featurizer.Compute(epoch.Data, whitening ?? [], values.AsSpan(r * f, f));
                rows.Add(epoch.Info);
                r++;
            }
        }

        return new FeatureTable(featurizer.FeatureNames, rows, values);
    }

    private static void CheckShape(SignalPipeline signal, EpochSet set)
    {
        if (set.Count > 0 && (set.Info.ChannelCount != signal.WindowInfo.ChannelCount || set.SampleCount != signal.EpochSamples))
        {
            throw new ArgumentException($"epochs of {set.Subject} are {set.Info.ChannelCount} × {set.SampleCount}, the pipeline makes {signal.WindowInfo.ChannelCount} × {signal.EpochSamples}.");
        }
    }
}
