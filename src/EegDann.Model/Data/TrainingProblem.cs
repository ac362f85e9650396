namespace EegDann.Model;

/// <summary>
/// Labeled samples: inputs, their class indices and, for several source subjects, which subject
/// (domain) each sample comes from.
/// </summary>
/// <param name="Samples">The inputs.</param>
/// <param name="Labels">One class index per sample, in <c>[0, classes)</c>.</param>
/// <param name="DomainIds">Optional: one source-domain index per sample (e.g. the subject), in
/// <c>[0, domains)</c> with every index used; null for a single source domain.</param>
public sealed record LabeledSamples(SampleMatrix Samples, int[] Labels, int[]? DomainIds = null)
{
    /// <summary>Number of distinct source domains (1 when <see cref="DomainIds"/> is null).</summary>
    public int DomainCount => DomainIds is null || DomainIds.Length == 0 ? 1 : DomainIds.Max() + 1;
}

/// <summary>
/// Everything a trainer learns from: labeled source samples, unlabeled target samples, optionally
/// a few labeled target samples (the semi-supervised case) and the class names. The constructor
/// checks it all and lists every problem at once.
/// </summary>
/// <remarks>
/// What each part is used for: the source fits the input standardisation and the label loss; the
/// unlabeled target enters only the domain loss (DANN) or the domain classifier (reweighting);
/// the labeled target samples enter only the label loss. Pass the labeled target samples in
/// <see cref="Target"/> as well if they should also count as unlabeled target data.
/// </remarks>
public sealed class TrainingProblem
{
    /// <summary>Checks and wraps the data.</summary>
    /// <param name="source">Labeled source samples (one or several subjects).</param>
    /// <param name="target">Unlabeled target samples (same sample shape); may be empty for source-only training.</param>
    /// <param name="classNames">Class names, index = label, at least two, unique.</param>
    /// <param name="targetLabeled">Optional labeled target samples (semi-supervised), same sample shape.</param>
    /// <exception cref="ArgumentException">Listing every problem: shapes, label ranges, missing classes, non-finite values, domain ids.</exception>
    public TrainingProblem(LabeledSamples source, SampleMatrix target, IReadOnlyList<string> classNames, LabeledSamples? targetLabeled = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(classNames);
        var problems = new List<string>();
        int classes = classNames.Count;
        if (classes < 2)
        {
            problems.Add($"there must be at least two classes, got {classes}");
        }

        if (classNames.Distinct(StringComparer.Ordinal).Count() != classes || classNames.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add($"class names must be non-empty and unique, got [{string.Join(", ", classNames)}]");
        }

        CheckLabeled("source", source, classes, problems, requireEveryClass: true);
        if (source.DomainIds is { } ids)
        {
            if (ids.Length != source.Samples.Count)
            {
                problems.Add($"source has {source.Samples.Count} samples but {ids.Length} domain ids");
            }
            else if (ids.Length > 0)
            {
                int bad = ids.Count(d => d < 0);
                if (bad > 0)
                {
                    problems.Add($"{bad} source domain ids are negative");
                }
                else
                {
                    var used = ids.Distinct().Order().ToArray();
                    var missing = Enumerable.Range(0, used[^1] + 1).Except(used).ToArray();
                    if (missing.Length > 0)
                    {
                        problems.Add($"source domain ids must use every index from 0 to {used[^1]}; missing {string.Join(", ", missing)}");
                    }
                }
            }
        }

        CheckShape("target", target, source.Samples, problems);
        CheckFinite("target", target, problems);
        if (targetLabeled is not null)
        {
            CheckShape("labeled target", targetLabeled.Samples, source.Samples, problems);
            CheckLabeled("labeled target", targetLabeled, classes, problems, requireEveryClass: false);
            if (targetLabeled.DomainIds is not null)
            {
                problems.Add("labeled target samples cannot carry domain ids (they are all the target domain)");
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("The training data is not usable: " + string.Join("; ", problems) + ".");
        }

        Source = source;
        Target = target;
        TargetLabeled = targetLabeled is { Samples.Count: > 0 } ? targetLabeled : null;
        ClassNames = classNames.ToArray();
    }

    /// <summary>Labeled source samples.</summary>
    public LabeledSamples Source { get; }

    /// <summary>Unlabeled target samples.</summary>
    public SampleMatrix Target { get; }

    /// <summary>Labeled target samples (semi-supervised), or null.</summary>
    public LabeledSamples? TargetLabeled { get; }

    /// <summary>Class names; label <c>k</c> is <c>ClassNames[k]</c>.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The shape of one input sample.</summary>
    public IReadOnlyList<int> SampleShape => Source.Samples.SampleShape;

    private static void CheckLabeled(string name, LabeledSamples set, int classes, List<string> problems, bool requireEveryClass)
    {
        var samples = set.Samples;
        if (samples.Count == 0 && requireEveryClass)
        {
            problems.Add($"{name} has no samples");
        }

        if (set.Labels.Length != samples.Count)
        {
            problems.Add($"{name} has {samples.Count} samples but {set.Labels.Length} labels");
        }
        else
        {
            int outOfRange = set.Labels.Count(l => l < 0 || l >= classes);
            if (outOfRange > 0)
            {
                problems.Add($"{outOfRange} {name} labels are outside [0, {classes})");
            }
            else if (requireEveryClass && samples.Count > 0)
            {
                var absent = Enumerable.Range(0, classes).Except(set.Labels).ToArray();
                if (absent.Length > 0)
                {
                    problems.Add($"{name} has no sample of class {string.Join(", ", absent)}");
                }
            }
        }

        CheckFinite(name, samples, problems);
    }

    private static void CheckShape(string name, SampleMatrix samples, SampleMatrix reference, List<string> problems)
    {
        if (!samples.SampleShape.SequenceEqual(reference.SampleShape))
        {
            problems.Add($"{name} samples have shape [{string.Join(", ", samples.SampleShape)}], the source's are [{string.Join(", ", reference.SampleShape)}]");
        }
    }

    private static void CheckFinite(string name, SampleMatrix samples, List<string> problems)
    {
        var (count, sample, offset) = samples.FindNonFinite();
        if (count > 0)
        {
            problems.Add($"{name} has {count} non-finite (NaN or infinite) values, the first in sample {sample} at offset {offset}");
        }
    }
}
