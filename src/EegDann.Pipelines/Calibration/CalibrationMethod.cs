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
}

/// <summary>
/// One way of decoding a new subject, as evaluation and calibration name it:
/// <c>[ea_]BASE[_xK]</c> — <c>ea_</c> with Euclidean alignment in front (without it the
/// pipeline's alignment step is removed), <c>BASE</c> one of <c>source_only</c>, <c>reweighting</c>,
/// <c>dann</c>, <c>dann_multi_source</c>, <c>dann_semi</c>, <c>dann_im</c>, <c>source_only_im</c>, <c>csp_lda</c>, and <c>_xK</c> an
/// ensemble of K networks with different seeds whose logits are averaged (one network in the model file).
/// </summary>
/// <param name="Name">The name, e.g. <c>ea_dann_multi_source_x5</c>.</param>
/// <param name="Family">Network or CSP + LDA.</param>
/// <param name="Training">The network's training method (networks only).</param>
/// <param name="Aligned">Whether every subject is Euclidean-aligned with its own reference.</param>
/// <param name="Ensemble">Networks averaged (≥ 1; 1 for CSP + LDA).</param>
public sealed record CalibrationMethod(string Name, MethodFamily Family, TrainingMethod Training, bool Aligned, int Ensemble)
{
    /// <summary>The baselines, in report order: source_only, reweighting, ea_source_only, csp_lda, ea_csp_lda.</summary>
    public static IReadOnlyList<string> BaselineNames { get; } = ["source_only", "reweighting", "ea_source_only", "csp_lda", "ea_csp_lda"];

    /// <summary>Parses a method name.</summary>
    /// <exception cref="ArgumentException">When the name is not a method; the message lists the forms.</exception>
    public static CalibrationMethod Parse(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        string rest = name.Trim().ToLowerInvariant();
        bool aligned = rest.StartsWith("ea_", StringComparison.Ordinal);
        if (aligned)
        {
            rest = rest[3..];
        }

        int ensemble = 1;
        int x = rest.LastIndexOf("_x", StringComparison.Ordinal);
        if (x > 0 && int.TryParse(rest[(x + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out int k))
        {
            if (k < 1 || k > 64)
            {
                throw new ArgumentException($"method '{name}': an ensemble has 1 to 64 networks, got {k}.", nameof(name));
            }

            ensemble = k;
            rest = rest[..x];
        }

        if (rest == "csp_lda")
        {
            return ensemble == 1
                ? new CalibrationMethod(Canonical(aligned, rest, 1), MethodFamily.CspLda, TrainingMethod.SourceOnly, aligned, 1)
                : throw new ArgumentException($"method '{name}': CSP + LDA is not an ensemble.", nameof(name));
        }

        TrainingMethod training;
        try
        {
            training = TrainingMethods.Parse(rest);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException(
                $"unknown method '{name}': use [ea_]BASE[_xK] with BASE one of source_only, reweighting, dann, dann_multi_source, dann_semi, dann_im, source_only_im, csp_lda (e.g. ea_dann_im_x5).",
                nameof(name));
        }

        return new CalibrationMethod(Canonical(aligned, training.Name(), ensemble), MethodFamily.Network, training, aligned, ensemble);
    }

    /// <summary>
    /// The method a pipeline file describes: its <c>training.method</c>, aligned when it has a
    /// <c>euclidean_alignment</c> step, an ensemble of <c>training.ensemble</c> networks.
    /// </summary>
    public static CalibrationMethod Of(PipelineDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Parse(Canonical(definition.Alignment != null, definition.Training.Method, definition.Training.Ensemble));
    }

    /// <summary>The same method when <paramref name="targetLabeledPerClass"/> labeled target epochs join training: plain DANN becomes semi-supervised DANN.</summary>
    public CalibrationMethod WithTargetLabels(int targetLabeledPerClass) =>
        targetLabeledPerClass > 0 && Family == MethodFamily.Network && Training == TrainingMethod.Dann
            ? Parse(Canonical(Aligned, TrainingMethod.SemiSupervisedDann.Name(), Ensemble))
            : this;

    /// <summary>A sentence for reports.</summary>
    public string Description
    {
        get
        {
            string core = Family == MethodFamily.CspLda
                ? "CSP (6 components per band) + shrinkage LDA on the labeled source"
                : Training switch
                {
                    TrainingMethod.SourceOnly => "the network trained on the labeled source only",
                    TrainingMethod.Reweighting => "the network trained on source samples reweighted by a source-vs-target logistic regression",
                    TrainingMethod.Dann => "DANN: source label loss + adversarial source-vs-target domain loss (target unlabeled)",
                    TrainingMethod.SemiSupervisedDann => "semi-supervised DANN: DANN plus the labeled target epochs in the label loss",
                    TrainingMethod.MultiSourceDann => "multi-source DANN: one domain per source subject plus the target (target unlabeled)",
                    TrainingMethod.DannIm => "DANN + information maximisation: DANN plus confident, class-balanced predictions on the unlabeled target (labeled target epochs, if any, join the label loss)",
                    TrainingMethod.SourceOnlyIm => "source label loss + information maximisation on the unlabeled target, no adversary",
                    _ => Training.Name(),
                };
            string ensemble = Ensemble > 1 ? $", ensemble of {Ensemble} networks (logits averaged)" : "";
            return (Aligned ? "Euclidean alignment per subject, then " : "") + core + ensemble;
        }
    }

    private static string Canonical(bool aligned, string baseName, int ensemble) =>
        (aligned ? "ea_" : "") + baseName + (ensemble > 1 ? $"_x{ensemble}" : "");
}
