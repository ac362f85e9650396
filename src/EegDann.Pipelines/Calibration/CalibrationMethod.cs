using System.Globalization;
using EegDann.Model;
using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines.Calibration;

/// <summary>What a method learns with: a network (one of EegDann.Model's training methods) or CSP + shrinkage LDA.</summary>
public enum MethodFamily
{
    /// <summary>The pipeline's network (features → MLP), trained with a <see cref="TrainingMethod"/>.</summary>
    Network,

    /// <summary>CSP (6 components per band of the pipeline's signal path) + shrinkage LDA, fitted on the labeled source.</summary>
    CspLda,

    /// <summary>
    /// pyRiemann's usual pipeline: each subject's 8–30 Hz epoch covariances re-centred with its own
    /// Euclidean alignment, mapped to the tangent space at the identity, then an L2 logistic
    /// regression (C = 1, scikit-learn's default) on the labeled source.
    /// </summary>
    TangentSpaceLr,
}

/// <summary>
/// One way of decoding a new subject, as evaluation and calibration name it:
/// <c>[ea_]BASE[_crops][_st][_refit][_ba][_xK]</c> — <c>ea_</c> with Euclidean alignment in front (without it the
/// pipeline's alignment step is removed), <c>BASE</c> one of <c>source_only</c>, <c>reweighting</c>,
/// <c>dann</c>, <c>dann_multi_source</c>, <c>dann_semi</c>, <c>dann_im</c>, <c>source_only_im</c>, <c>cdan</c>, <c>csp_lda</c>, <c>_crops</c> cropped training (networks only),
/// <c>_st</c> self-training, <c>_refit</c> the label head refitted on labeled target epochs,
/// <c>_ba</c> the classifier's bias re-estimated from the target's unlabeled epochs (also for the classic
/// methods: <c>ea_csp_lda_8_30_ba</c>, <c>ea_ts_lr_ba</c>), and <c>_xK</c> an
/// ensemble of K networks with different seeds whose logits are averaged (one network in the model file).
/// </summary>
/// <param name="Name">The name, e.g. <c>ea_dann_multi_source_x5</c>.</param>
/// <param name="Family">Network or CSP + LDA.</param>
/// <param name="Training">The network's training method (networks only).</param>
/// <param name="Aligned">Whether every subject is Euclidean-aligned with its own reference.</param>
/// <param name="Ensemble">Networks averaged (≥ 1; 1 for CSP + LDA).</param>
/// <param name="OneBand">Whether the method runs on the pipeline's one-band 8–30 Hz signal path (<c>csp_lda_8_30</c>, <c>ts_lr</c>) instead of its own.</param>
/// <param name="Refit">With labeled target epochs, how the trained network's label head is refitted on them (<c>_refit</c>: weighted logistic regression on the adapted features); null: not refitted.</param>
/// <param name="SelfTraining">Whether the networks are trained a second time with the first round's confident predictions of the target as labels (<c>_st</c>: class-balanced self-training).</param>
/// <param name="BiasAdapted">Whether the trained classifier's bias is re-estimated from the target's unlabeled epochs so that their mean decision is neutral (<c>_ba</c>: unsupervised bias adaptation, <see cref="BiasAdaptation"/>).</param>
/// <param name="Cropped">
/// Whether the networks train on crops (<c>_crops</c>, cropped training): every labeled source cue and every
/// unlabeled target cue gives the windows of the pipeline's window length inside the cue period, every
/// <see cref="CalibrationData.CropStrideSeconds"/> (<see cref="Signal.SignalPipeline.CropRequests"/>), instead of its one epoch;
/// the epochs of training are divided by the crop factor so the optimizer takes about as many steps.
/// The scored target epochs, the alignments and the fitted pipeline are unchanged.
/// </param>
/// <param name="WithinSubject">
/// Whether a classic method is fitted on the target's labeled epochs alone (<c>_within</c>: the usual
/// per-subject calibration, no source subject; with <c>ea_</c> the target's own alignment, fitted on its
/// unlabeled epochs, comes first). It has nothing to fit without labeled target epochs, so a learning
/// curve's K = 0 point of it is a failed run, never a score.
/// </param>
public sealed record CalibrationMethod(string Name, MethodFamily Family, TrainingMethod Training, bool Aligned, int Ensemble, bool OneBand = false, LabelHeadRefitKind? Refit = null, bool SelfTraining = false, bool BiasAdapted = false, bool Cropped = false, bool WithinSubject = false)
{
    /// <summary>
    /// The baselines of every report, in report order: source_only, reweighting, ea_source_only,
    /// csp_lda, ea_csp_lda (the pipeline's bands), ea_csp_lda_8_30 (one 8–30 Hz band) and ea_ts_lr
    /// (EA + tangent space + logistic regression on 8–30 Hz).
    /// </summary>
    public static IReadOnlyList<string> BaselineNames { get; } =
    [
        NameOf(TrainingMethod.SourceOnly),
        NameOf(TrainingMethod.Reweighting),
        NameOf(TrainingMethod.SourceOnly, aligned: true),
        Canonical(false, CspLdaBase, 1),
        Canonical(true, CspLdaBase, 1),
        Canonical(true, CspLdaOneBandBase, 1),
        Canonical(true, TangentSpaceLrBase, 1),
    ];

    /// <summary>
    /// The per-subject calibration baseline of a calibration with labeled target epochs,
    /// <c>ea_csp_lda_8_30_within</c>: MOABB's usual EA + CSP + LDA fitted on those epochs alone.
    /// </summary>
    public static string WithinBaselineName => Canonical(true, CspLdaOneBandBase + WithinSuffix, 1);

    /// <summary>The base name of CSP + shrinkage LDA on the pipeline's bands, <c>csp_lda</c>.</summary>
    public const string CspLdaBase = "csp_lda";

    /// <summary>The base name of CSP + shrinkage LDA on one 8–30 Hz band, <c>csp_lda_8_30</c>.</summary>
    public const string CspLdaOneBandBase = "csp_lda_8_30";

    /// <summary>The base name of tangent space + logistic regression, <c>ts_lr</c> (always aligned: <c>ea_ts_lr</c>).</summary>
    public const string TangentSpaceLrBase = "ts_lr";

    /// <summary>The prefix of a method with Euclidean alignment, <c>ea_</c>.</summary>
    public const string AlignedPrefix = "ea_";

    /// <summary>The classic base names: CSP + LDA on the pipeline's bands, and on one 8–30 Hz band.</summary>
    public static IReadOnlyList<string> ClassicBaseNames { get; } = [CspLdaBase, CspLdaOneBandBase];

    /// <summary>
    /// The one list of method base names: EegDann.Model's training methods (networks, in its order),
    /// then the classic CSP + LDA ones. Help texts, error messages and pipeline validation read it.
    /// </summary>
    public static IReadOnlyList<string> BaseNames { get; } = [.. TrainingMethods.All.Select(m => m.Name()), .. ClassicBaseNames];

    /// <summary>How a method is named, with every base name: <c>[ea_]BASE[_crops][_st][_refit][_ba][_xK] with BASE one of …, or ea_ts_lr[_ba]; the classic ones also [ea_]CLASSIC_within[_ba]</c>.</summary>
    public static string Grammar => $"[{AlignedPrefix}]BASE[{CropsSuffix}][{SelfTrainingSuffix}][{RefitSuffix(LabelHeadRefitKind.WeightedLogistic)}][{BiasSuffix}][{EnsembleSuffix}K] with BASE one of {string.Join(", ", BaseNames)}, or {Canonical(true, TangentSpaceLrBase, 1)}[{BiasSuffix}]; the classic ones also [{AlignedPrefix}]CLASSIC{WithinSuffix}[{BiasSuffix}] (fitted on the target's labeled epochs alone)";

    /// <summary>The name of one network trained with <paramref name="training"/>, aligned or not (e.g. <c>ea_source_only</c>).</summary>
    public static string NameOf(TrainingMethod training, bool aligned = false) =>
        Canonical(aligned, training, cropped: false, selfTraining: false, refit: null, bias: false, ensemble: 1);

    /// <summary>Whether this is a classic (non-network) method: CSP + LDA or tangent space + logistic regression.</summary>
    public bool IsClassic => Family != MethodFamily.Network;

    /// <summary>The same method without the adaptation: the same alignment, network and ensemble trained on the labeled source only (<c>ea_dann_x5</c> → <c>ea_source_only_x5</c>); null for classic methods.</summary>
    public CalibrationMethod? NoAdaptationTwin =>
        Family == MethodFamily.Network ? WithTraining(TrainingMethod.SourceOnly) : null;

    /// <summary>Parses a method name.</summary>
    /// <exception cref="MethodNameException">When the name is not a method; the message lists the forms.</exception>
    public static CalibrationMethod Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new MethodNameException($"an empty method name: use {Grammar}.");
        }

        string rest = name.Trim().ToLowerInvariant();
        bool aligned = rest.StartsWith(AlignedPrefix, StringComparison.Ordinal);
        if (aligned)
        {
            rest = rest[AlignedPrefix.Length..];
        }

        int ensemble = 1;
        int x = rest.LastIndexOf(EnsembleSuffix, StringComparison.Ordinal);
        if (x > 0 && int.TryParse(rest[(x + EnsembleSuffix.Length)..], NumberStyles.None, CultureInfo.InvariantCulture, out int k))
        {
            if (k < 1 || k > 64)
            {
                throw new MethodNameException($"method '{name}': an ensemble has 1 to 64 networks, got {k}.");
            }

            ensemble = k;
            rest = rest[..x];
        }

        bool bias = rest.EndsWith(BiasSuffix, StringComparison.Ordinal) && rest.Length > BiasSuffix.Length;
        if (bias)
        {
            rest = rest[..^BiasSuffix.Length];
        }

        bool within = rest.EndsWith(WithinSuffix, StringComparison.Ordinal) && rest.Length > WithinSuffix.Length;
        if (within)
        {
            rest = rest[..^WithinSuffix.Length];
            if (rest is not (CspLdaBase or CspLdaOneBandBase or TangentSpaceLrBase))
            {
                throw new MethodNameException(
                    $"method '{name}': {WithinSuffix} (fitted on the target's labeled epochs alone) is for the classic methods: {Canonical(aligned, CspLdaOneBandBase + WithinSuffix, 1)}, {Canonical(aligned, CspLdaBase + WithinSuffix, 1)}, {Canonical(true, TangentSpaceLrBase + WithinSuffix, 1)}.");
            }
        }

        string classicSuffixes = (within ? WithinSuffix : "") + (bias ? BiasSuffix : "");
        if (rest is CspLdaBase or CspLdaOneBandBase)
        {
            return ensemble == 1
                ? new CalibrationMethod(Canonical(aligned, rest + classicSuffixes, 1), MethodFamily.CspLda, TrainingMethod.SourceOnly, aligned, 1, OneBand: rest == CspLdaOneBandBase, BiasAdapted: bias, WithinSubject: within)
                : throw new MethodNameException($"method '{name}': CSP + LDA is not an ensemble.");
        }

        if (rest == TangentSpaceLrBase)
        {
            return (aligned, ensemble) switch
            {
                (true, 1) => new CalibrationMethod(Canonical(true, TangentSpaceLrBase + classicSuffixes, 1), MethodFamily.TangentSpaceLr, TrainingMethod.SourceOnly, true, 1, OneBand: true, BiasAdapted: bias, WithinSubject: within),
                (false, _) => throw new MethodNameException($"method '{name}': the tangent space is taken at the identity after each subject's re-centring; use {Canonical(true, TangentSpaceLrBase, 1)}."),
                _ => throw new MethodNameException($"method '{name}': tangent space + logistic regression is not an ensemble."),
            };
        }

        LabelHeadRefitKind? refit = null;
        foreach (var kind in Enum.GetValues<LabelHeadRefitKind>())
        {
            string suffix = RefitSuffix(kind);
            if (rest.EndsWith(suffix, StringComparison.Ordinal) && rest.Length > suffix.Length)
            {
                refit = kind;
                rest = rest[..^suffix.Length];
                break;
            }
        }

        bool selfTraining = rest.EndsWith(SelfTrainingSuffix, StringComparison.Ordinal) && rest.Length > SelfTrainingSuffix.Length;
        if (selfTraining)
        {
            rest = rest[..^SelfTrainingSuffix.Length];
        }

        bool cropped = rest.EndsWith(CropsSuffix, StringComparison.Ordinal) && rest.Length > CropsSuffix.Length;
        if (cropped)
        {
            rest = rest[..^CropsSuffix.Length];
            if (rest is CspLdaBase or CspLdaOneBandBase or TangentSpaceLrBase)
            {
                throw new MethodNameException($"method '{name}': cropped training ({CropsSuffix}) is for the networks; CSP + LDA and tangent space + logistic regression fit on the epochs.");
            }
        }

        TrainingMethod training;
        try
        {
            training = TrainingMethods.Parse(rest);
        }
        catch (ArgumentException)
        {
            string[] examples =
            [
                Canonical(true, TrainingMethod.Dann, cropped: false, selfTraining: false, refit: null, bias: false, ensemble: 5),
                Canonical(true, TrainingMethod.Dann, cropped: true, selfTraining: false, refit: null, bias: false, ensemble: 5),
                Canonical(true, TrainingMethod.Dann, cropped: false, selfTraining: false, refit: LabelHeadRefitKind.WeightedLogistic, bias: false, ensemble: 5),
                Canonical(true, TrainingMethod.Dann, cropped: false, selfTraining: false, refit: null, bias: true, ensemble: 5),
                Canonical(true, TangentSpaceLrBase + BiasSuffix, 1),
            ];
            throw new MethodNameException($"unknown method '{name}': use {Grammar} (e.g. {string.Join(", ", examples)}).");
        }

        if (training == TrainingMethod.SemiSupervisedDann && refit is { } refitKind)
        {
            throw new MethodNameException(
                $"method '{name}': {RefitSuffix(refitKind)} trains the networks without the labeled target epochs (they refit the label head), {training.Name()} puts them in the networks' label loss; use {Canonical(aligned, TrainingMethod.Dann, cropped, selfTraining, refit, bias, ensemble)} or {Canonical(aligned, training, cropped, selfTraining, null, bias, ensemble)}.");
        }

        return new CalibrationMethod(Canonical(aligned, training, cropped, selfTraining, refit, bias, ensemble), MethodFamily.Network, training, aligned, ensemble, Refit: refit, SelfTraining: selfTraining, BiasAdapted: bias, Cropped: cropped);
    }

    /// <summary>
    /// The method a pipeline file describes: its <c>training.method</c>, aligned when it has an
    /// alignment step (<see cref="PipelineDefinition.Aligns"/>), an ensemble of <c>training.ensemble</c> networks, on crops when
    /// <c>training.crops</c> is true.
    /// </summary>
    public static CalibrationMethod Of(PipelineDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Parse(Canonical(definition.Aligns, definition.Training.Method + (definition.Training.Crops ? CropsSuffix : ""), definition.Training.Ensemble));
    }

    /// <summary>
    /// The method that trains when <paramref name="targetLabeledPerClass"/> labeled target epochs join training:
    /// plain DANN becomes semi-supervised DANN, and semi-supervised DANN with no labeled epoch is plain DANN
    /// (its label loss has nothing of the target to add; the K = 0 point of a learning curve).
    /// </summary>
    public CalibrationMethod WithTargetLabels(int targetLabeledPerClass) =>
        targetLabeledPerClass > 0 && Family == MethodFamily.Network && Training == TrainingMethod.Dann && Refit is null && !SelfTraining
            ? WithTraining(TrainingMethod.SemiSupervisedDann)
            : targetLabeledPerClass == 0 && Training == TrainingMethod.SemiSupervisedDann
            ? WithTraining(TrainingMethod.Dann)
            : this;

    /// <summary>This network method with another training method, every suffix kept.</summary>
    private CalibrationMethod WithTraining(TrainingMethod training) =>
        Parse(Canonical(Aligned, training, Cropped, SelfTraining, Refit, BiasAdapted, Ensemble));

    /// <summary>A sentence for reports.</summary>
    public string Description
    {
        get
        {
            string fittedOn = WithinSubject ? "the target's labeled epochs alone (within-subject calibration, no source subject)" : "the labeled source";
            string core = Family == MethodFamily.TangentSpaceLr
                ? $"8–30 Hz epoch covariances, tangent space at the identity, L2 logistic regression (C = 1) on {fittedOn}"
                : Family == MethodFamily.CspLda
                ? (OneBand ? $"one 8–30 Hz band, CSP (6 components) + shrinkage LDA on {fittedOn}" : $"CSP (6 components per band) + shrinkage LDA on {fittedOn}")
                : Training switch
                {
                    TrainingMethod.SourceOnly => "the network trained on the labeled source only",
                    TrainingMethod.Reweighting => "the network trained on source samples reweighted by a source-vs-target logistic regression",
                    TrainingMethod.Dann => "DANN: source label loss + adversarial source-vs-target domain loss (target unlabeled)",
                    TrainingMethod.SemiSupervisedDann => "semi-supervised DANN: DANN plus the labeled target epochs in the label loss",
                    TrainingMethod.MultiSourceDann => "multi-source DANN: one domain per source subject plus the target (target unlabeled)",
                    TrainingMethod.DannIm => "DANN + information maximisation: DANN plus confident, class-balanced predictions on the unlabeled target (labeled target epochs, if any, join the label loss)",
                    TrainingMethod.SourceOnlyIm => "source label loss + information maximisation on the unlabeled target, no adversary",
                    TrainingMethod.Cdan => "CDAN: DANN whose domain head reads the multilinear map of the features and the class probabilities, g ⊗ f (Long et al. 2018; target unlabeled, labeled target epochs, if any, join the label loss)",
                    _ => Training.Name(),
                };
            string ensemble = Ensemble > 1 ? $", ensemble of {Ensemble} networks (logits averaged)" : "";
            string refit = Refit switch
            {
                LabelHeadRefitKind.WeightedLogistic => "; with labeled target epochs, the label head refitted on the adapted features (logistic regression, the labeled target weighing as much as the whole source)",
                _ => "",
            };
            string crops = Cropped ? string.Create(CultureInfo.InvariantCulture, $", trained on crops (windows inside each cue, every {CalibrationData.CropStrideSeconds} s; source labeled, target unlabeled; epochs of training divided by the crop factor)") : "";
            string selfTraining = SelfTraining ? "; then trained again with the target's confident predictions as labels (the more confident half of each predicted class)" : "";
            string bias = BiasAdapted ? "; the bias re-estimated from the target's unlabeled epochs (their mean decision made neutral, Vidaurre et al. 2011)" : "";
            return (Aligned ? AlignedDescriptionPrefix : "") + core + crops + ensemble + selfTraining + refit + bias;
        }
    }

    /// <summary>
    /// <see cref="Description"/> for a method run with <paramref name="definition"/>: an aligned network of a
    /// pipeline that standardises each subject's features with its own statistics says so (the unaligned
    /// methods and the classic ones do not use that step).
    /// </summary>
    public string DescriptionWith(PipelineDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Aligned && Family == MethodFamily.Network && definition.Standardization is { Per: Steps.StandardizationScope.Subject }
            ? "Euclidean alignment and feature standardisation per subject, then " + Description[AlignedDescriptionPrefix.Length..]
            : Description;
    }

    private const string AlignedDescriptionPrefix = "Euclidean alignment per subject, then ";

    private const string SelfTrainingSuffix = "_st";

    /// <summary>The suffix of a classic method fitted on the target's labeled epochs alone, <c>_within</c>.</summary>
    public const string WithinSuffix = "_within";

    private const string CropsSuffix = "_crops";

    private const string BiasSuffix = "_ba";

    private const string EnsembleSuffix = "_x";

    private static string RefitSuffix(LabelHeadRefitKind? kind) => kind switch
    {
        LabelHeadRefitKind.WeightedLogistic => "_refit",
        _ => "",
    };

    private static string Canonical(bool aligned, TrainingMethod training, bool cropped, bool selfTraining, LabelHeadRefitKind? refit, bool bias, int ensemble) =>
        Canonical(aligned, training.Name() + (cropped ? CropsSuffix : "") + (selfTraining ? SelfTrainingSuffix : "") + RefitSuffix(refit) + (bias ? BiasSuffix : ""), ensemble);

    private static string Canonical(bool aligned, string baseName, int ensemble) =>
        (aligned ? AlignedPrefix : "") + baseName + (ensemble > 1 ? EnsembleSuffix + ensemble.ToString(CultureInfo.InvariantCulture) : "");
}

/// <summary>
/// A method name that names no method (unknown, or a combination that does not exist): the user's
/// input (<c>--method</c>, <c>--methods</c>, a pipeline's <c>training.method</c>); the message says why
/// and lists the forms. An <see cref="ArgumentException"/> of its own type, so that a use case reports
/// it as a bad setting while any other <see cref="ArgumentException"/> stays a bug.
/// </summary>
public sealed class MethodNameException(string message) : ArgumentException(message);
