using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Model;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines.Calibration;

/// <content>The runner's plan: the target's split per seed and each variant's features for a fold (also used by calibration's figures).</content>
public sealed partial class CrossSubjectRunner
{
    /// <summary>One planned run: the method (with the target's labeled count), the seed, and the method name as requested (what <c>keep</c> names).</summary>
    private sealed record PlannedRun(CalibrationMethod Method, int Seed, string Requested);

    /// <summary>
    /// A fold's plan: the target and sources, the target's split per split key (<see cref="TargetSplit.KeyOf"/>),
    /// the features of each network variant per split, the runs, the networks to train (each once)
    /// and the slots that say which run uses which network (a run's members in seed order).
    /// </summary>
    private sealed record FoldPlan(
        SubjectData Target,
        IReadOnlyList<SubjectData> Sources,
        IReadOnlyList<string> Classes,
        TargetSplit Split,
        IReadOnlyDictionary<int, TargetPart> Splits,
        IReadOnlyDictionary<(bool Aligned, bool Cropped, int Split), FoldProblem> Problems,
        IReadOnlyList<PlannedRun> Runs)
    {
        /// <summary>The networks to train, by member index; self-training appends its second round.</summary>
        public List<StackedMember> Members { get; } = [];

        /// <summary>(run, member) pairs; self-training points its runs to the second round.</summary>
        public List<(int Run, int Member)> Slots { get; } = [];

        public TargetPart PartOf(int seed) => Splits[Split.KeyOf(seed)];

        public FoldProblem ProblemOf(CalibrationMethod method, int seed) => Problems[(method.Aligned, method.Cropped, Split.KeyOf(seed))];

        /// <summary>The members run <paramref name="run"/> uses, in seed order.</summary>
        public int[] MembersOf(int run) => Slots.Where(p => p.Run == run).Select(p => p.Member).ToArray();
    }

    /// <summary>A target's epochs for one seed: labeled (training), scored, holdout, and evaluated = scored then holdout (the rows predicted).</summary>
    private sealed record TargetPart(IReadOnlyList<Epoch> Labeled, IReadOnlyList<Epoch> Scored, IReadOnlyList<Epoch> Holdout)
    {
        public IReadOnlyList<Epoch> Evaluated { get; } = Scored.Concat(Holdout).ToArray();
    }

    private static TargetPart SplitTarget(SubjectData target, IReadOnlyList<string> classes, TargetSplit split, int seed)
    {
        var all = target.Epochs.Epochs;
        if (!split.DependsOnSeed || all.Count == 0)
        {
            return new TargetPart([], all, []);
        }

        var labels = all.Select(e => ClassCovariances.IndexOf(classes, e.Info.Label)).ToArray();
        var shuffled = LabeledSelection.ShuffledPerClass(labels, seed);
        int unscored = Math.Max(split.LabeledPerClass, split.ReservedPerClass);
        if (shuffled.Any(c => c.Length < split.NeededPerClass))
        {
            throw new CalibrationInputException(
                $"{string.Join(", ", target.Recordings)}: subject {target.Subject} has {string.Join(", ", shuffled.Select(c => c.Length))} epochs per class; {split.NeededPerClass} are needed ({split.LabeledPerClass} labeled, {split.ReservedPerClass} reserved for the learning curve, {split.HoldoutPerClass} held out, one to score).");
        }

        var labeled = shuffled.SelectMany(c => c.Take(split.LabeledPerClass)).ToHashSet();
        var notScored = shuffled.SelectMany(c => c.Take(unscored)).ToHashSet();
        var holdout = shuffled.SelectMany(c => c.Skip(c.Length - split.HoldoutPerClass)).ToHashSet();
        var order = Enumerable.Range(0, all.Count);
        return new TargetPart(
            order.Where(labeled.Contains).Select(i => all[i]).ToArray(),
            order.Where(i => !notScored.Contains(i) && !holdout.Contains(i)).Select(i => all[i]).ToArray(),
            order.Where(holdout.Contains).Select(i => all[i]).ToArray());
    }

    /// <summary>The features of one variant for one fold: standardised with the sources' statistics when the pipeline standardises.</summary>
    /// <param name="Problem">Sources labeled (one domain per source subject), the target unlabeled, the labeled target epochs (if any).</param>
    /// <param name="Scored">The scored target epochs' features (empty without cues).</param>
    /// <param name="Fitted">The fitted pipeline these features come from (what a model file carries).</param>
    /// <param name="SourceRows">The sources' features (for figures).</param>
    /// <param name="TargetRows">The target's unlabeled features (for figures).</param>
    /// <param name="CropFactor">Source training rows per source epoch: 1, or with crops the mean number of crops per cue.</param>
    internal sealed record FoldProblem(TrainingProblem Problem, SampleMatrix Scored, FittedPipeline Fitted, SampleMatrix SourceRows, SampleMatrix TargetRows, double CropFactor = 1);

    /// <summary>
    /// A member's training options: the pipeline's, with the runner's diagnostic budget; on crops,
    /// the pipeline's epochs divided by the crop factor (rounded, at least one), so the optimizer
    /// takes about as many steps (batches of the same size) as on the epochs.
    /// </summary>
    private TrainingOptions Options(TrainingMethod training, int seed, FoldProblem problem)
    {
        var options = _data.Definition.ToTrainingOptions(training, seed);
        if (problem.CropFactor > 1)
        {
            options = options with { Epochs = Math.Max(1, (int)Math.Round(options.Epochs / problem.CropFactor)) };
        }

        return DiagnosticSamples is { } limit ? options with { DiagnosticSamples = limit } : options;
    }

    /// <summary>
    /// The variant's features for a fold (also used by calibration's figures). With
    /// <paramref name="crops"/>, the training rows are the sources' crops (labeled with their cue's
    /// class) and the target's crops (unlabeled; its windows when it has no cues), standardised with
    /// the same statistics as the epochs; the scored and labeled target rows stay its epochs.
    /// </summary>
    internal FoldProblem BuildProblem(bool aligned, IReadOnlyList<SubjectData> sources, SubjectData target, IReadOnlyList<Epoch> labeled, IReadOnlyList<Epoch> scored, bool useWindows, bool crops = false)
    {
        var definition = _data.DefinitionFor(aligned);
        var signal = _data.SignalFor(aligned);
        var classes = _data.ClassNames;
        FeatureTable[] sourceTables;
        FeatureTable targetTable;
        FittedPipeline fitted;
        Func<EpochSet, FeatureTable> transform;
        var alignments = sources.Append(target).ToDictionary(s => s.Subject, s => s.Alignment, StringComparer.Ordinal);
        double cropFactor = 1;
        if (crops && !_cache.RowsArePerSubject)
        {
            throw new CalibrationInputException($"{definition.Source}: cropped training needs features computed per subject; pipeline '{definition.Name}' has feature steps fitted on the source.");
        }

        if (_cache.RowsArePerSubject)
        {
            sourceTables = sources.Select(s => _cache.Rows(aligned, s, windows: false)).ToArray();
            targetTable = _cache.Rows(aligned, target, useWindows);
            fitted = FeaturePipeline.FitPerSubject(signal, alignments);
            StandardizationFit? standardization = null;
            Func<string, StandardizationFit>? subjectStandardization = null;
            // The standardisation step by its own type: alignment and features are per subject and cached,
            // so this is the only fit that depends on the fold, on its sources' feature rows (an input no
            // other step takes); its statistics then also standardise the target's and the crops' rows.
            // Per subject, each subject's own unlabeled rows give its statistics instead (the target's
            // training rows: its epochs, or its windows without cues; never a label).
            if (definition.Standardization is { Per: StandardizationScope.Subject } perSubject)
            {
                var fittedPerSubject = perSubject.Reference == AlignmentReference.Windows
                    ? new FittedSubjectStandardization(perSubject.WarmupWindows, perSubject.UpdateEveryWindows, sources.Append(target).ToDictionary(s => s.Subject, s => WindowStatistics(aligned, s, fitted), StringComparer.Ordinal))
                    : perSubject.FitSubjects(sources.Select((s, i) => (s.Subject, sourceTables[i])).Append((target.Subject, targetTable)));
                fitted = fitted with { States = [.. fitted.States, fittedPerSubject] };
                subjectStandardization = subject => fittedPerSubject.For(subject)!;
                sourceTables = sourceTables.Select((t, i) => Standardize(t, fittedPerSubject.For(sources[i].Subject)!)).ToArray();
                targetTable = Standardize(targetTable, fittedPerSubject.For(target.Subject)!);
            }
            else if (definition.Standardization is { } standardize)
            {
                var fittedStandardization = standardize.Fit(FeatureTable.Concat(sourceTables));
                standardization = fittedStandardization.Statistics;
                fitted = fitted with { States = [.. fitted.States, fittedStandardization] };
            }

            if (standardization != null)
            {
                sourceTables = sourceTables.Select(t => Standardize(t, standardization)).ToArray();
                targetTable = Standardize(targetTable, standardization);
            }

            // The target's labeled and scored epochs are rows of its (cached) epoch table.
            var epochTable = targetTable;
            transform = set => SelectRows(epochTable, set);
            if (crops)
            {
                // Training rows only: the statistics above stay the epochs', so the scored rows do not change.
                var sourceCrops = sources.Select(s => _cache.CropRows(aligned, s)).ToArray();
                cropFactor = sourceCrops.Sum(t => t.RowCount) / (double)Math.Max(1, sourceTables.Sum(t => t.RowCount));
                sourceTables = sourceCrops.Select((t, i) => StandardizeFor(t, sources[i].Subject)).ToArray();
                if (!useWindows)
                {
                    targetTable = StandardizeFor(_cache.CropRows(aligned, target), target.Subject);
                }

                FeatureTable StandardizeFor(FeatureTable table, string subject) =>
                    subjectStandardization != null ? Standardize(table, subjectStandardization(subject))
                    : standardization != null ? Standardize(table, standardization)
                    : table;
            }
        }
        else
        {
            var sourceSets = sources.Select(s => s.Epochs).ToArray();
            var targetSet = Unlabeled(useWindows ? target.Windows! : target.Epochs);
            var recordings = sources.Append(target).ToDictionary(s => s.Subject, s => s.Sources, StringComparer.Ordinal);
            fitted = FeaturePipeline.Fit(signal, sourceSets, [targetSet], alignments, recordings);
            var fit = fitted;
            sourceTables = sourceSets.Select(s => FeaturePipeline.Transform(definition, fit, s)).ToArray();
            targetTable = FeaturePipeline.Transform(definition, fitted, targetSet);
            transform = set => FeaturePipeline.Transform(definition, fit, set);
        }

        var sourceRows = ToMatrix(sourceTables.SelectMany(t => Enumerable.Range(0, t.RowCount).Select(i => (t, i))).ToArray());
        var sourceLabels = sourceTables.SelectMany(t => t.Rows.Select(r => ClassCovariances.IndexOf(classes, r.Label))).ToArray();
        var domains = sourceTables.SelectMany((t, d) => Enumerable.Repeat(d, t.RowCount)).ToArray();
        var targetRows = ToMatrix(Enumerable.Range(0, targetTable.RowCount).Select(i => (targetTable, i)).ToArray());
        LabeledSamples? targetLabeled = null;
        if (labeled.Count > 0)
        {
            var table = transform(new EpochSet(target.Subject, target.Epochs.Info, labeled));
            targetLabeled = new LabeledSamples(ToMatrix(Enumerable.Range(0, table.RowCount).Select(i => (table, i)).ToArray()), labeled.Select(e => ClassCovariances.IndexOf(classes, e.Info.Label)).ToArray());
        }

        var scoredTable = scored.Count > 0 ? transform(new EpochSet(target.Subject, target.Epochs.Info, scored)) : null;
        var scoredRows = scoredTable is null ? new SampleMatrix([], 0, sourceRows.SampleSize) : ToMatrix(Enumerable.Range(0, scoredTable.RowCount).Select(i => (scoredTable, i)).ToArray());
        var problem = new TrainingProblem(new LabeledSamples(sourceRows, sourceLabels, domains), targetRows, classes, targetLabeled);
        fitted = fitted.Replace<FittedAlignment>(alignment => alignment with { Subjects = alignments });
        return new FoldProblem(problem, scoredRows, fitted, sourceRows, targetRows, cropFactor);
    }

    /// <summary>
    /// A subject's feature statistics on every sliding window of its recordings (a per-subject
    /// standardisation on the <c>windows</c> reference): computed once per subject and variant, as they
    /// depend on the subject's own recordings and alignment only.
    /// </summary>
    private StandardizationFit WindowStatistics(bool aligned, SubjectData subject, FittedPipeline unstandardized) =>
        _windowStatistics.GetOrAdd((aligned, subject.Subject), _ => new Lazy<StandardizationFit>(() =>
        {
            try
            {
                return StandardizeSpec.FitOnWindows(_data.DefinitionFor(aligned), unstandardized, subject.Subject, subject.Sources);
            }
            catch (Exception e) when (InputProblems.IsDataProblem(e))
            {
                throw new CalibrationInputException($"{string.Join(", ", subject.Recordings)}: cannot standardise subject {subject.Subject} on its windows: {e.Message}", e);
            }
        })).Value;

    private SubjectData Subject(string subject) =>
        _data.Subjects.TryGetValue(subject, out var data) ? data : throw new CalibrationInputException($"subject '{subject}' has no recordings.");

    /// <summary>The same epochs with their labels removed: what training may see of the target.</summary>
    private static EpochSet Unlabeled(EpochSet set) =>
        new(set.Subject, set.Info, set.Epochs.Select(e => new Epoch(e.Info with { Label = null }, e.ChannelCount, e.SampleCount, e.Data)).ToArray());

    /// <summary>The rows of <paramref name="table"/> of the given epochs (matched by recording and first sample), in the epochs' order.</summary>
    private static FeatureTable SelectRows(FeatureTable table, EpochSet set)
    {
        var index = new Dictionary<(string, long), int>();
        for (int i = 0; i < table.RowCount; i++)
        {
            index[(table.Rows[i].Recording, table.Rows[i].StartSample)] = i;
        }

        var values = new double[set.Count * table.FeatureCount];
        for (int i = 0; i < set.Count; i++)
        {
            var info = set.Epochs[i].Info;
            if (!index.TryGetValue((info.Recording, info.StartSample), out int row))
            {
                throw new InvalidOperationException($"epoch of {info.Recording} at sample {info.StartSample} has no cached features.");
            }

            table.Row(row).CopyTo(values.AsSpan(i * table.FeatureCount, table.FeatureCount));
        }

        return new FeatureTable(table.FeatureNames, set.Epochs.Select(e => e.Info).ToArray(), values);
    }

    private static FeatureTable Standardize(FeatureTable table, StandardizationFit fit)
    {
        var values = (double[])table.Values.Clone();
        for (int i = 0; i < table.RowCount; i++)
        {
            fit.Apply(values.AsSpan(i * table.FeatureCount, table.FeatureCount));
        }

        return new FeatureTable(table.FeatureNames, table.Rows, values);
    }

    private static SampleMatrix ToMatrix(IReadOnlyList<(FeatureTable Table, int Row)> rows)
    {
        int f = rows.Count == 0 ? 1 : rows[0].Table.FeatureCount;
        var values = new float[rows.Count * f];
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i].Table.Row(rows[i].Row);
            for (int j = 0; j < f; j++)
            {
                values[(i * f) + j] = (float)row[j];
            }
        }

        return new SampleMatrix(values, rows.Count, f);
    }
}
