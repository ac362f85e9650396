// Why one file over 400 lines: the cross-subject runner and the records it plans and returns
// (folds, target splits, scores, method runs, kept models, fold outcome and timings), read together.
// Issue 12 §2 splits Run into plan, train and score with owned model handles as part of the
// one-trainer change; splitting the file ahead of that would only move the hand-kept reference
// counts around.
using System.Diagnostics;
using EegDann.Core;
using EegDann.Dsp.Features;
using EegDann.Model;
using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines.Calibration;

/// <summary>One cross-subject fold: a target subject (unlabeled in training) and the labeled source subjects.</summary>
/// <param name="Target">The target subject.</param>
/// <param name="Sources">The source subjects.</param>
public sealed record CrossSubjectFold(string Target, IReadOnlyList<string> Sources);

/// <summary>
/// How a target's cue epochs are used in one run, per class and drawn per seed from one shuffle
/// (<see cref="LabeledSelection.ShuffledPerClass"/>): the first <paramref name="LabeledPerClass"/>
/// join training with their labels; the first max(labeled, <paramref name="ReservedPerClass"/>) are
/// not scored (so every point of a learning curve with labeled ≤ reserved is scored on the same
/// epochs); the last <paramref name="HoldoutPerClass"/> are kept only to estimate the accuracy (a
/// lab's check before deployment); the rest are scored. Labels never reach training otherwise.
/// </summary>
/// <param name="LabeledPerClass">K labeled target epochs per class in training.</param>
/// <param name="HoldoutPerClass">H labeled epochs per class kept only for the holdout estimate.</param>
/// <param name="ReservedPerClass">Epochs per class left unscored as if labeled (the learning curve's largest K).</param>
public sealed record TargetSplit(int LabeledPerClass, int HoldoutPerClass = 0, int ReservedPerClass = 0)
{
    /// <summary>Whether the split depends on the seed.</summary>
    public bool DependsOnSeed => LabeledPerClass > 0 || HoldoutPerClass > 0 || ReservedPerClass > 0;

    /// <summary>Epochs per class a scored target needs: the unscored ones, the holdout and one to score.</summary>
    public int NeededPerClass => Math.Max(LabeledPerClass, ReservedPerClass) + HoldoutPerClass + 1;
}

/// <summary>How a method scored on the target's epochs (when they carry cues).</summary>
/// <param name="Accuracy">Fraction of scored epochs decoded right.</param>
/// <param name="BalancedAccuracy">Mean over classes of each class's recall.</param>
/// <param name="Confusion"><c>[true class][predicted class]</c> counts, classes in network order.</param>
public sealed record TargetScore(double Accuracy, double BalancedAccuracy, int[][] Confusion)
{
    /// <summary>Scores predictions against labels (class indices).</summary>
    public static TargetScore Of(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classes)
    {
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        for (int i = 0; i < truth.Count; i++)
        {
            confusion[truth[i]][predicted[i]]++;
        }

        double accuracy = truth.Count == 0 ? double.NaN : Enumerable.Range(0, classes).Sum(k => confusion[k][k]) / (double)truth.Count;
        double balanced = Enumerable.Range(0, classes).Where(k => confusion[k].Sum() > 0).Select(k => confusion[k][k] / (double)confusion[k].Sum()).DefaultIfEmpty(double.NaN).Average();
        return new TargetScore(accuracy, balanced, confusion);
    }
}

/// <summary>One method with one seed on one fold.</summary>
/// <param name="Method">The method.</param>
/// <param name="Seed">The seed (an ensemble's members use seeds derived from it).</param>
/// <param name="Predicted">Predicted class of each scored target epoch; null when training failed or the target has no cues.</param>
/// <param name="Score">The score; null without cues or when training failed.</param>
/// <param name="Curves">Per-epoch diagnostics (mean over an ensemble's members); empty for CSP + LDA.</param>
/// <param name="Failure">Why training failed, or null.</param>
/// <param name="MemberSeeds">The seeds of the networks trained (empty for CSP + LDA).</param>
public sealed record MethodRun(CalibrationMethod Method, int Seed, int[]? Predicted, TargetScore? Score, IReadOnlyList<EpochDiagnostics> Curves, TrainingFailure? Failure, IReadOnlyList<int> MemberSeeds)
{
    /// <summary>The score on the holdout epochs (<see cref="TargetSplit.HoldoutPerClass"/>), or null without a holdout.</summary>
    public TargetScore? HoldoutScore { get; init; }
}

/// <summary>A trained network kept for the caller (a model file, a figure), with everything needed to decode.</summary>
/// <param name="Method">Its method.</param>
/// <param name="Seed">Its seed.</param>
/// <param name="Model">The network (an ensemble joined into one); the caller disposes it.</param>
/// <param name="Definition">The pipeline variant it decodes (with or without alignment).</param>
/// <param name="Fitted">The fitted pipeline: filter designs, the fold's subjects' alignments, standardisation.</param>
/// <param name="Members">Training results of every member (curves), in seed order.</param>
public sealed record KeptModel(CalibrationMethod Method, int Seed, TrainedModel Model, Definitions.PipelineDefinition Definition, FittedPipeline Fitted, IReadOnlyList<TrainingResult> Members);

/// <summary>What one fold produced.</summary>
public sealed class FoldOutcome : IDisposable
{
    internal FoldOutcome(CrossSubjectFold fold, IReadOnlyList<MethodRun> runs, IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>> scored, IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>> labeledTarget, IReadOnlyList<KeptModel> kept, FoldTimings timings, IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>>? holdout = null)
    {
        Holdout = holdout ?? scored.ToDictionary(p => p.Key, _ => (IReadOnlyList<EpochInfo>)[]);
        Fold = fold;
        Runs = runs;
        Scored = scored;
        LabeledTarget = labeledTarget;
        Kept = kept;
        Timings = timings;
    }

    /// <summary>The fold.</summary>
    public CrossSubjectFold Fold { get; }

    /// <summary>Every method × seed, in request order.</summary>
    public IReadOnlyList<MethodRun> Runs { get; }

    /// <summary>By seed, the target epochs scored (all cue epochs except the labeled ones that joined training).</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>> Scored { get; }

    /// <summary>By seed, the target epochs whose labels joined training (semi-supervised; drawn from the seed), else empty.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>> LabeledTarget { get; }

    /// <summary>By seed, the holdout epochs (labels kept only to estimate the accuracy), else empty.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>> Holdout { get; }

    /// <summary>Networks kept as asked.</summary>
    public IReadOnlyList<KeptModel> Kept { get; }

    /// <summary>Where the time went.</summary>
    public FoldTimings Timings { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        // Two kept runs may share one network (a network asked for twice is trained once).
        foreach (var model in Kept.Select(k => k.Model).Distinct())
        {
            model.Dispose();
        }
    }
}

/// <summary>Wall times of one fold, s.</summary>
/// <param name="FeaturesSeconds">Feature rows (cached per subject after the first fold that needs them).</param>
/// <param name="NetworksSeconds">Every network of the fold, trained together.</param>
/// <param name="NetworkCount">Networks trained.</param>
/// <param name="CspLdaSeconds">The CSP + LDA baselines.</param>
public sealed record FoldTimings(double FeaturesSeconds, double NetworksSeconds, int NetworkCount, double CspLdaSeconds);

/// <summary>
/// Trains and scores methods on cross-subject folds of one <see cref="CalibrationData"/>, caching
/// every subject's features across folds and methods. The target's labels are read in two places
/// only: to pick the labeled epochs of the semi-supervised case (<c>targetLabeledPerClass</c> &gt; 0)
/// and to score predictions; the target enters training as unlabeled rows (its own alignment, the
/// domain loss, the reweighting classifier) and through those labeled epochs.
/// </summary>
public sealed class CrossSubjectRunner
{
    private readonly CalibrationData _data;
    private readonly FeatureCache _cache;
    private readonly Lazy<(CalibrationData Data, FeatureCache Cache)> _oneBand;

    /// <summary>Creates the runner.</summary>
    public CrossSubjectRunner(CalibrationData data)
        : this(data, null)
    {
    }

    /// <summary>Creates the runner with subjects' feature rows also kept on disk in <paramref name="featureCacheDirectory"/> (content-addressed; shared by processes on one node).</summary>
    public CrossSubjectRunner(CalibrationData data, string? featureCacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(data);
        _data = data;
        _cache = new FeatureCache(data, featureCacheDirectory);
        _oneBand = new Lazy<(CalibrationData, FeatureCache)>(() => data.OneBand == data ? (data, _cache) : (data.OneBand, new FeatureCache(data.OneBand, featureCacheDirectory)));
    }

    /// <summary>The data.</summary>
    public CalibrationData Data => _data;

    /// <summary>
    /// Source and target samples the per-epoch diagnostics (curves, divergence checks) are measured
    /// on, at most; null keeps the pipeline's. Evaluation, which reports no curves, measures fewer
    /// to save time; the networks trained do not depend on it.
    /// </summary>
    public int? DiagnosticSamples { get; init; }

    /// <summary>The seeds of an ensemble's members for <paramref name="seed"/>: seed·K + k.</summary>
    public static IReadOnlyList<int> MemberSeeds(CalibrationMethod method, int seed) =>
        Enumerable.Range(0, method.Ensemble).Select(k => checked((seed * method.Ensemble) + k)).ToArray();

    /// <summary>
    /// The target's labeled epochs of the semi-supervised case: <paramref name="perClass"/> cue
    /// epochs of each class drawn at random from <paramref name="seed"/> (<see cref="LabeledSelection.PerClass"/>), in recording order.
    /// </summary>
    public static IReadOnlyList<Epoch> LabeledTargetEpochs(SubjectData target, IReadOnlyList<string> classes, int perClass, int seed)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (perClass <= 0)
        {
            return [];
        }

        var labels = target.Epochs.Epochs.Select(e => ClassCovariances.IndexOf(classes, e.Info.Label)).ToArray();
        return LabeledSelection.PerClass(labels, perClass, seed).Selected.Select(i => target.Epochs.Epochs[i]).ToArray();
    }

    /// <summary>Trains every method with every seed on the fold and scores them on the target's cue epochs (if it has any).</summary>
    /// <param name="fold">Target and sources.</param>
    /// <param name="methods">Methods, in report order.</param>
    /// <param name="seeds">Seeds.</param>
    /// <param name="targetLabeledPerClass">Labeled target epochs per class that join training (and are not scored); 0: unsupervised.</param>
    /// <param name="keep">Which (method name, seed) networks to keep for the caller; the others are disposed.</param>
    /// <param name="progress">Training progress, or null.</param>
    /// <param name="cancellationToken">Stops training.</param>
    /// <exception cref="CalibrationInputException">When the fold cannot be trained (e.g. a class without epochs); the message says why.</exception>
    public FoldOutcome Run(
        CrossSubjectFold fold,
        IReadOnlyList<CalibrationMethod> methods,
        IReadOnlyList<int> seeds,
        int targetLabeledPerClass,
        IReadOnlyCollection<(string Method, int Seed)>? keep = null,
        IProgress<WorkProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Run(fold, methods, seeds, new TargetSplit(targetLabeledPerClass), keep, progress, cancellationToken);

    /// <summary>Trains every method with every seed on the fold and scores them on the target's cue epochs (if it has any), with a holdout and a learning curve's reserve as <paramref name="split"/> says.</summary>
    /// <param name="fold">Target and sources.</param>
    /// <param name="methods">Methods, in report order.</param>
    /// <param name="seeds">Seeds.</param>
    /// <param name="split">Labeled, holdout and reserved target epochs per class.</param>
    /// <param name="keep">Which (method name, seed) networks to keep for the caller; the others are disposed.</param>
    /// <param name="progress">Training progress, or null.</param>
    /// <param name="cancellationToken">Stops training.</param>
    /// <exception cref="CalibrationInputException">When the fold cannot be trained (e.g. a class without epochs); the message says why.</exception>
    public FoldOutcome Run(
        CrossSubjectFold fold,
        IReadOnlyList<CalibrationMethod> methods,
        IReadOnlyList<int> seeds,
        TargetSplit split,
        IReadOnlyCollection<(string Method, int Seed)>? keep = null,
        IProgress<WorkProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(split);
        int targetLabeledPerClass = split.LabeledPerClass;
        ArgumentNullException.ThrowIfNull(fold);
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(seeds);
        keep ??= [];
        var classes = _data.ClassNames;
        var target = Subject(fold.Target);
        var sources = fold.Sources.Select(Subject).ToArray();
        bool useWindows = !target.HasCues;
        if (sources.Any(s => string.Equals(s.Person, target.Person, StringComparison.Ordinal)))
        {
            throw new CalibrationInputException($"fold {fold.Target}: the target's own recordings ({string.Join(", ", sources.Where(s => s.Person == target.Person).Select(s => s.Subject))}) cannot be sources.");
        }

        // The split depends on the seed when target epochs are labeled, held out or reserved; otherwise every seed shares one split (key -1).
        int SplitKey(int seed) => split.DependsOnSeed ? seed : -1;
        var splits = seeds.Select(SplitKey).Distinct().ToDictionary(key => key, key => SplitTarget(target, classes, split, key));

        var clock = Stopwatch.StartNew();
        var problems = new Dictionary<(bool Aligned, bool Cropped, int Split), FoldProblem>();
        foreach (var (aligned, cropped) in methods.Where(m => m.Family == MethodFamily.Network).Select(m => (m.Aligned, m.Cropped)).Distinct())
        {
            foreach (var (key, part) in splits)
            {
                problems[(aligned, cropped, key)] = BuildProblem(aligned, sources, target, part.Labeled, part.Evaluated, useWindows, cropped);
            }
        }

        FoldProblem ProblemOf(CalibrationMethod method, int seed) => problems[(method.Aligned, method.Cropped, SplitKey(seed))];

        double featureSeconds = clock.Elapsed.TotalSeconds;

        // Every network of the fold in one batched run. A network asked for twice (e.g. ea_dann with
        // seed s is member s of ea_dann_x5 with seed 0: same data, same options) is trained once and
        // shared; a member never depends on the others in its stack, so sharing changes no result.
        var members = new List<StackedMember>();
        var memberIndex = new Dictionary<(TrainingProblem Problem, TrainingOptions Options), int>();
        var slots = new List<(int Run, int Member)>();
        var runs = new List<(CalibrationMethod Method, int Seed, string Requested)>();
        foreach (var method in methods)
        {
            foreach (int seed in seeds)
            {
                runs.Add((method.WithTargetLabels(targetLabeledPerClass), seed, method.Name));
            }
        }

        var unlabeledProblems = new Dictionary<TrainingProblem, TrainingProblem>();
        TrainingProblem WithoutTargetLabels(TrainingProblem labeled)
        {
            if (!unlabeledProblems.TryGetValue(labeled, out var unlabeled))
            {
                unlabeled = new TrainingProblem(labeled.Source, labeled.Target, labeled.ClassNames);
                unlabeledProblems[labeled] = unlabeled;
            }

            return unlabeled;
        }

        for (int r = 0; r < runs.Count; r++)
        {
            var (method, seed, _) = runs[r];
            if (method.Family != MethodFamily.Network)
            {
                continue;
            }

            var problem = ProblemOf(method, seed);
            // A method that refits its label head on the labeled target epochs trains its network without them.
            var trainingProblem = method.Refit is not null && problem.Problem.TargetLabeled is not null
                ? WithoutTargetLabels(problem.Problem)
                : problem.Problem;
            var memberSeeds = MemberSeeds(method, seed);
            for (int k = 0; k < memberSeeds.Count; k++)
            {
                var options = Options(method.Training, memberSeeds[k], problem);
                if (!memberIndex.TryGetValue((trainingProblem, options), out int index))
                {
                    index = members.Count;
                    memberIndex[(trainingProblem, options)] = index;
                    members.Add(new StackedMember(trainingProblem, options));
                }

                slots.Add((r, index));
            }
        }

        clock.Restart();
        var trained = members.Count == 0 ? new List<TrainingResult>() : StackedMlpTrainer.Train(members, progress, cancellationToken).ToList();
        SelfTrain(runs.Select(run => run.Method).ToArray(), runs.Select(run => run.Seed).ToArray(), r => ProblemOf(runs[r].Method, runs[r].Seed), members, slots, trained, progress, cancellationToken);
        double networkSeconds = clock.Elapsed.TotalSeconds;

        var results = new MethodRun[runs.Count];
        var kept = new List<KeptModel>();
        // A trained member's model is disposed after its last run, unless a run kept it as its own model.
        var uses = new int[members.Count];
        foreach (var (_, index) in slots)
        {
            uses[index]++;
        }

        var owned = new bool[members.Count];
        void Release(IEnumerable<int> indices)
        {
            foreach (int i in indices)
            {
                if (--uses[i] == 0 && !owned[i])
                {
                    trained[i].Model?.Dispose();
                }
            }
        }

        clock.Restart();
        for (int r = 0; r < runs.Count; r++)
        {
            var (method, seed, requested) = runs[r];
            var part = splits[SplitKey(seed)];
            var (labeled, evaluated) = (part.Labeled, part.Evaluated);
            if (method.IsClassic)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int[]? predicted = evaluated.Count > 0 ? FitPredictClassic(method, sources, target, labeled, evaluated) : null;
                results[r] = Scored(new MethodRun(method, seed, predicted, null, [], null, []), part, classes);
                continue;
            }

            var memberIndices = slots.Where(p => p.Run == r).Select(p => p.Member).ToArray();
            var memberResults = memberIndices.Select(i => trained[i]).ToArray();
            var failure = memberResults.Select(m => m.Failure).FirstOrDefault(f => f is not null);
            var curves = MeanCurves(memberResults);
            if (failure is not null)
            {
                Release(memberIndices);
                results[r] = new MethodRun(method, seed, null, null, curves, failure, MemberSeeds(method, seed));
                continue;
            }

            var models = memberResults.Select(m => m.Model!).ToArray();
            var model = models.Length == 1 ? models[0] : ModelEnsemble.Merge(models, models[0].Training);
            bool fresh = models.Length > 1;
            var problem = ProblemOf(method, seed);
            if (method.Refit is { } refit && problem.Problem.TargetLabeled is { } targetLabeled)
            {
                // The extractor stays as trained (source labels, unlabeled target); only the label head sees the labeled target epochs.
                var refitted = LabelHeadRefit.Refit(model, problem.Problem.Source, targetLabeled, refit, _data.Definition.Training.TargetLabelWeight);
                if (fresh)
                {
                    model.Dispose();
                }

                model = refitted;
                fresh = true;
            }

            if (method.BiasAdapted)
            {
                // Weights as trained; the head's bias from the target's unlabeled rows (labels not read).
                var adapted = BiasAdaptation.Adapt(model, problem.Problem.Target);
                if (fresh)
                {
                    model.Dispose();
                }

                model = adapted;
                fresh = true;
            }

            int[]? prediction = evaluated.Count > 0 ? model.Predict(problem.Scored) : null;
            results[r] = Scored(new MethodRun(method, seed, prediction, null, curves, null, MemberSeeds(method, seed)), part, classes);
            bool keepIt = keep.Contains((requested, seed)) || keep.Contains((method.Name, seed));
            if (keepIt)
            {
                kept.Add(new KeptModel(method, seed, model, _data.DefinitionFor(method.Aligned), problem.Fitted, memberResults));
                if (!fresh)
                {
                    owned[memberIndices[0]] = true;
                }
            }
            else if (fresh)
            {
                model.Dispose();
            }

            Release(memberIndices);
        }

        var scoredBySeed = seeds.ToDictionary(s => s, s => (IReadOnlyList<EpochInfo>)splits[SplitKey(s)].Scored.Select(e => e.Info).ToArray());
        var labeledBySeed = seeds.ToDictionary(s => s, s => (IReadOnlyList<EpochInfo>)splits[SplitKey(s)].Labeled.Select(e => e.Info).ToArray());
        var holdoutBySeed = seeds.ToDictionary(s => s, s => (IReadOnlyList<EpochInfo>)splits[SplitKey(s)].Holdout.Select(e => e.Info).ToArray());
        return new FoldOutcome(fold, results, scoredBySeed, labeledBySeed, kept, new FoldTimings(featureSeconds, networkSeconds, members.Count, clock.Elapsed.TotalSeconds), holdoutBySeed);
    }

    /// <summary>
    /// The second round of the self-training runs: each run's first-round networks (joined) label the
    /// target's unlabeled rows, the more confident half of each predicted class
    /// (<see cref="PseudoLabels.ConfidentHalfPerClass"/>) join the label loss as labeled target rows
    /// (with the truly labeled ones, unless the run refits its head on those), the networks are
    /// trained again from scratch with the same seeds, and the run's slots point to them. A
    /// first-round network no other run uses is disposed.
    /// </summary>
    private void SelfTrain(
        CalibrationMethod[] methods,
        int[] seeds,
        Func<int, FoldProblem> problemOf,
        List<StackedMember> members,
        List<(int Run, int Member)> slots,
        List<TrainingResult> trained,
        IProgress<WorkProgress>? progress,
        CancellationToken cancellationToken)
    {
        var second = new List<StackedMember>();
        var secondSlots = new List<(int Run, int Member)>();
        var replaced = new HashSet<int>();
        for (int r = 0; r < methods.Length; r++)
        {
            var method = methods[r];
            if (!method.SelfTraining)
            {
                continue;
            }

            var first = slots.Where(p => p.Run == r).Select(p => p.Member).ToArray();
            if (first.Any(i => trained[i].Failure is not null))
            {
                continue;
            }

            var foldProblem = problemOf(r);
            var problem = foldProblem.Problem;
            var models = first.Select(i => trained[i].Model!).ToArray();
            float[] probabilities;
            if (models.Length == 1)
            {
                probabilities = models[0].PredictProbabilities(problem.Target);
            }
            else
            {
                using var joined = ModelEnsemble.Merge(models, models[0].Training);
                probabilities = joined.PredictProbabilities(problem.Target);
            }

            var (rows, labels) = PseudoLabels.ConfidentHalfPerClass(probabilities, problem.ClassNames.Count);
            int f = problem.Target.SampleSize;
            var values = new List<float>(rows.Length * f);
            foreach (int i in rows)
            {
                values.AddRange(problem.Target.Values.AsSpan(i * f, f).ToArray());
            }

            var allLabels = labels.ToList();
            if (problem.TargetLabeled is { } truth && method.Refit is null)
            {
                values.AddRange(truth.Samples.Values);
                allLabels.AddRange(truth.Labels);
            }

            var pseudo = new LabeledSamples(new SampleMatrix(values.ToArray(), allLabels.Count, f), allLabels.ToArray());
            var secondProblem = new TrainingProblem(problem.Source, problem.Target, problem.ClassNames, pseudo);
            var training = method.Training == TrainingMethod.Dann ? TrainingMethod.SemiSupervisedDann : method.Training;
            foreach (var (seed, k) in MemberSeeds(method, seeds[r]).Select((s, k) => (s, k)))
            {
                var options = Options(training, seed, foldProblem);
                secondSlots.Add((r, members.Count + second.Count));
                second.Add(new StackedMember(secondProblem, options));
            }

            replaced.Add(r);
        }

        if (second.Count == 0)
        {
            return;
        }

        var firstRound = slots.Where(p => replaced.Contains(p.Run)).Select(p => p.Member).ToHashSet();
        slots.RemoveAll(p => replaced.Contains(p.Run));
        foreach (int i in firstRound.Where(i => !slots.Any(p => p.Member == i)))
        {
            trained[i].Model?.Dispose();
        }

        members.AddRange(second);
        trained.AddRange(StackedMlpTrainer.Train(second, progress, cancellationToken));
        slots.AddRange(secondSlots);
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

    /// <summary>Scores a run's predictions of the evaluated epochs: the scored ones, then the holdout.</summary>
    private static MethodRun Scored(MethodRun run, TargetPart part, IReadOnlyList<string> classes)
    {
        if (run.Predicted is not { } predicted)
        {
            return run;
        }

        int[] Truth(IEnumerable<Epoch> epochs) => epochs.Select(e => ClassCovariances.IndexOf(classes, e.Info.Label)).ToArray();
        var scored = predicted[..part.Scored.Count];
        var holdout = predicted[part.Scored.Count..];
        return run with
        {
            Predicted = scored,
            Score = scored.Length > 0 ? TargetScore.Of(Truth(part.Scored), scored, classes.Count) : null,
            HoldoutScore = holdout.Length > 0 ? TargetScore.Of(Truth(part.Holdout), holdout, classes.Count) : null,
        };
    }

    /// <summary>A classic method's predictions of <paramref name="evaluated"/>: on the pipeline's signal path, or on its one-band 8–30 Hz variant.</summary>
    private int[] FitPredictClassic(CalibrationMethod method, IReadOnlyList<SubjectData> sources, SubjectData target, IReadOnlyList<Epoch> labeled, IReadOnlyList<Epoch> evaluated)
    {
        var (data, cache) = method.OneBand ? _oneBand.Value : (_data, _cache);
        if (!ReferenceEquals(data, _data))
        {
            sources = sources.Select(s => data.Subjects[s.Subject]).ToArray();
            var oneBandTarget = data.Subjects[target.Subject];
            labeled = SameEpochs(oneBandTarget, labeled);
            evaluated = SameEpochs(oneBandTarget, evaluated);
            target = oneBandTarget;
        }

        return method.Family == MethodFamily.TangentSpaceLr
            ? TangentSpaceLr.FitPredict(data, cache, sources, target, labeled, evaluated, method.BiasAdapted)
            : CspLda.FitPredict(data, cache, method.Aligned, sources, target, labeled, evaluated, method.BiasAdapted);
    }

    /// <summary>The epochs of <paramref name="subject"/> (another signal path's cut of the same recordings) at the same cues as <paramref name="epochs"/>.</summary>
    private static IReadOnlyList<Epoch> SameEpochs(SubjectData subject, IReadOnlyList<Epoch> epochs)
    {
        var byCue = subject.Epochs.Epochs.ToDictionary(e => (e.Info.Recording, e.Info.StartSample));
        return epochs.Select(e => byCue.TryGetValue((e.Info.Recording, e.Info.StartSample), out var same)
            ? same
            : throw new InvalidOperationException($"the one-band signal path has no epoch of {e.Info.Recording} at sample {e.Info.StartSample}.")).ToArray();
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
            if (definition.Standardizes)
            {
                var all = FeatureTable.Concat(sourceTables);
                standardization = StandardizationFit.Fit(all.Values, all.FeatureCount);
                fitted = fitted with { Standardization = standardization };
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
                sourceTables = standardization is null ? sourceCrops : sourceCrops.Select(t => Standardize(t, standardization)).ToArray();
                if (!useWindows)
                {
                    var targetCrops = _cache.CropRows(aligned, target);
                    targetTable = standardization is null ? targetCrops : Standardize(targetCrops, standardization);
                }
            }
        }
        else
        {
            var sourceSets = sources.Select(s => s.Epochs).ToArray();
            var targetSet = Unlabeled(useWindows ? target.Windows! : target.Epochs);
            fitted = FeaturePipeline.Fit(signal, sourceSets, [targetSet], alignments);
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
        fitted = fitted with { SubjectAlignments = definition.Alignment is null ? new Dictionary<string, Dsp.Alignment.AlignmentFit>() : alignments };
        return new FoldProblem(problem, scoredRows, fitted, sourceRows, targetRows, cropFactor);
    }

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

    /// <summary>Per epoch, the mean over an ensemble's members of each diagnostic.</summary>
    private static IReadOnlyList<EpochDiagnostics> MeanCurves(IReadOnlyList<TrainingResult> members)
    {
        if (members.Count == 1)
        {
            return members[0].Epochs;
        }

        int epochs = members.Min(m => m.Epochs.Count);
        static double? Mean(IEnumerable<double?> values)
        {
            var list = values.ToArray();
            return list.Any(v => v is null) ? null : list.Average(v => v!.Value);
        }

        return Enumerable.Range(0, epochs).Select(e =>
        {
            var all = members.Select(m => m.Epochs[e]).ToArray();
            return all[0] with
            {
                LabelLoss = all.Average(d => d.LabelLoss),
                SourceAccuracy = all.Average(d => d.SourceAccuracy),
                DomainLoss = Mean(all.Select(d => d.DomainLoss)),
                DomainAccuracy = Mean(all.Select(d => d.DomainAccuracy)),
                TargetLabeledLoss = Mean(all.Select(d => d.TargetLabeledLoss)),
            };
        }).ToArray();
    }
}
