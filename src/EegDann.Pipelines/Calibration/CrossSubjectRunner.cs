using System.Diagnostics;
using EegDann.Core;
using EegDann.Model;
using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines.Calibration;

/// <summary>
/// Trains and scores methods on cross-subject folds of one <see cref="CalibrationData"/>, caching
/// every subject's features across folds and methods. The target's labels are read in two places
/// only: to pick the labeled epochs of the semi-supervised case (<c>targetLabeledPerClass</c> &gt; 0)
/// and to score predictions; the target enters training as unlabeled rows (its own alignment, the
/// domain loss, the reweighting classifier) and through those labeled epochs.
/// </summary>
/// <remarks>
/// A fold runs in three steps: <see cref="Plan"/> (the target's split per seed, the features of each
/// variant, the runs and the networks they need, each network once), <see cref="Train"/> (every
/// network in one batched run, then the self-training rounds) and <see cref="Score"/> (predictions,
/// scores, the kept networks). Every network trained belongs to one <see cref="OwnedSet{T}"/> of the
/// fold, which disposes it when the fold ends, fails or is cancelled, unless it was handed to the
/// outcome's owner as a kept network.
/// </remarks>
public sealed partial class CrossSubjectRunner
{
    private readonly CalibrationData _data;
    private readonly FeatureCache _cache;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(bool Aligned, string Subject), Lazy<Dsp.Features.StandardizationFit>> _windowStatistics = new();
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

    /// <summary>Told of every network the runner makes (trained, joined, refitted or adapted), for tests of their ownership; null in the product.</summary>
    internal Action<TrainedModel>? ModelTrained { get; init; }

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
        ArgumentNullException.ThrowIfNull(fold);
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(seeds);
        var clock = Stopwatch.StartNew();
        var plan = Plan(fold, methods, seeds, split);
        double featureSeconds = clock.Elapsed.TotalSeconds;

        // Every network of the fold is owned here until the fold ends; the kept ones move to the outcome's owner.
        using var trainedModels = new OwnedSet<TrainedModel>(ModelTrained);
        using var keptModels = new OwnedSet<TrainedModel>();
        clock.Restart();
        var trained = Train(plan, trainedModels, progress, cancellationToken);
        double networkSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var (results, kept) = Score(plan, trained, keep ?? [], trainedModels, keptModels, cancellationToken);
        var timings = new FoldTimings(featureSeconds, networkSeconds, plan.Members.Count, clock.Elapsed.TotalSeconds);
        IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>> BySeed(Func<TargetPart, IReadOnlyList<Epoch>> epochs) =>
            seeds.ToDictionary(s => s, s => (IReadOnlyList<EpochInfo>)epochs(plan.PartOf(s)).Select(e => e.Info).ToArray());
        return new FoldOutcome(fold, results, BySeed(p => p.Scored), BySeed(p => p.Labeled), kept, keptModels.TakeAll(), timings, BySeed(p => p.Holdout));
    }

    /// <summary>
    /// The fold's plan: the target's split per seed, the features of every network variant and split,
    /// the runs (method × seed, in request order) and the networks they need. A network asked for
    /// twice (e.g. ea_dann with seed s is member s of ea_dann_x5 with seed 0: same data, same
    /// options) is planned once and shared; a member never depends on the others in its stack, so
    /// sharing changes no result.
    /// </summary>
    private FoldPlan Plan(CrossSubjectFold fold, IReadOnlyList<CalibrationMethod> methods, IReadOnlyList<int> seeds, TargetSplit split)
    {
        var classes = _data.ClassNames;
        var target = Subject(fold.Target);
        var sources = fold.Sources.Select(Subject).ToArray();
        bool useWindows = !target.HasCues;
        if (sources.Any(s => string.Equals(s.Person, target.Person, StringComparison.Ordinal)))
        {
            throw new CalibrationInputException($"fold {fold.Target}: the target's own recordings ({string.Join(", ", sources.Where(s => s.Person == target.Person).Select(s => s.Subject))}) cannot be sources.");
        }

        var splits = seeds.Select(split.KeyOf).Distinct().ToDictionary(key => key, key => SplitTarget(target, classes, split, key));
        var problems = new Dictionary<(bool Aligned, bool Cropped, int Split), FoldProblem>();
        foreach (var (aligned, cropped) in methods.Where(m => m.Family == MethodFamily.Network).Select(m => (m.Aligned, m.Cropped)).Distinct())
        {
            foreach (var (key, part) in splits)
            {
                problems[(aligned, cropped, key)] = BuildProblem(aligned, sources, target, part.Labeled, part.Evaluated, useWindows, cropped);
            }
        }

        var runs = methods.SelectMany(method => seeds.Select(seed => new PlannedRun(method.WithTargetLabels(split.LabeledPerClass), seed, method.Name))).ToList();
        var plan = new FoldPlan(target, sources, classes, split, splits, problems, runs);
        var memberIndex = new Dictionary<(TrainingProblem Problem, TrainingOptions Options), int>();
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

            var problem = plan.ProblemOf(method, seed);
            // A method that refits its label head on the labeled target epochs trains its network without them.
            var trainingProblem = method.Refit is not null && problem.Problem.TargetLabeled is not null
                ? WithoutTargetLabels(problem.Problem)
                : problem.Problem;
            foreach (int memberSeed in MemberSeeds(method, seed))
            {
                var options = Options(method.Training, memberSeed, problem);
                if (!memberIndex.TryGetValue((trainingProblem, options), out int index))
                {
                    index = plan.Members.Count;
                    memberIndex[(trainingProblem, options)] = index;
                    plan.Members.Add(new StackedMember(trainingProblem, options));
                }

                plan.Slots.Add((r, index));
            }
        }

        return plan;
    }

    /// <summary>Trains every planned network in one batched run, then the self-training rounds; <paramref name="models"/> owns every network as soon as it exists.</summary>
    /// <returns>Each member's training result, by member index (the plan's members, then the second round's).</returns>
    private List<TrainingResult> Train(FoldPlan plan, OwnedSet<TrainedModel> models, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var trained = plan.Members.Count == 0 ? [] : Owned(StackedMlpTrainer.Train(plan.Members, progress, cancellationToken), models);
        SelfTrain(plan, trained, models, progress, cancellationToken);
        return trained;
    }

    /// <summary>The results, with every trained network handed to <paramref name="models"/> before anything else can throw.</summary>
    private static List<TrainingResult> Owned(IEnumerable<TrainingResult> results, OwnedSet<TrainedModel> models)
    {
        var list = results.ToList();
        foreach (var model in list.Select(r => r.Model).OfType<TrainedModel>())
        {
            models.Own(model);
        }

        return list;
    }

    /// <summary>
    /// Predicts and scores every run. A run's network is its member, or its members joined, refitted
    /// or bias-adapted into a new network that <paramref name="models"/> owns; a kept run's network
    /// moves to <paramref name="keptModels"/>, and a new network not kept is disposed at once.
    /// </summary>
    private (MethodRun[] Results, List<KeptModel> Kept) Score(
        FoldPlan plan,
        List<TrainingResult> trained,
        IReadOnlyCollection<(string Method, int Seed)> keep,
        OwnedSet<TrainedModel> models,
        OwnedSet<TrainedModel> keptModels,
        CancellationToken cancellationToken)
    {
        var results = new MethodRun[plan.Runs.Count];
        var kept = new List<KeptModel>();
        var classes = plan.Classes;
        for (int r = 0; r < plan.Runs.Count; r++)
        {
            var (method, seed, requested) = plan.Runs[r];
            var part = plan.PartOf(seed);
            var (labeled, evaluated) = (part.Labeled, part.Evaluated);
            if (method.IsClassic)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (method.WithinSubject && labeled.Count == 0)
                {
                    // Nothing to fit on: a within-subject method reads no source, and here no target label is given.
                    results[r] = new MethodRun(method, seed, null, null, [], NoLabeledEpochs, []) { Requested = requested };
                    continue;
                }

                int[]? predicted;
                try
                {
                    // A within-subject method is fitted on the target's labeled epochs alone: no source subject.
                    predicted = evaluated.Count > 0 ? FitPredictClassic(method, method.WithinSubject ? [] : plan.Sources, plan.Target, labeled, evaluated) : null;
                }
                catch (SingularCovarianceException e) when (method.WithinSubject)
                {
                    // Too few labeled epochs for the classifier (e.g. 2 per class: LDA's pooled covariance is singular): no score, not a guess.
                    results[r] = new MethodRun(method, seed, null, null, [], new TrainingFailure($"{labeled.Count} labeled target epochs are too few ({e.Message.TrimEnd('.')})", 0, "give more labeled target epochs per class"), []) { Requested = requested };
                    continue;
                }

                results[r] = Scored(new MethodRun(method, seed, predicted, null, [], null, []) { Requested = requested }, part, classes);
                continue;
            }

            var memberResults = plan.MembersOf(r).Select(i => trained[i]).ToArray();
            var failure = memberResults.Select(m => m.Failure).FirstOrDefault(f => f is not null);
            var curves = MeanCurves(memberResults);
            if (failure is not null)
            {
                results[r] = new MethodRun(method, seed, null, null, curves, failure, MemberSeeds(method, seed)) { Requested = requested };
                continue;
            }

            var members = memberResults.Select(m => m.Model!).ToArray();
            var problem = plan.ProblemOf(method, seed);
            var model = members.Length == 1 ? members[0] : models.Own(ModelEnsemble.Merge(members, members[0].Training));
            if (method.Refit is { } refit && problem.Problem.TargetLabeled is { } targetLabeled)
            {
                // The extractor stays as trained (source labels, unlabeled target); only the label head sees the labeled target epochs.
                model = Replace(model, models.Own(LabelHeadRefit.Refit(model, problem.Problem.Source, targetLabeled, refit, _data.Definition.Training.TargetLabelWeight)), members, models);
            }

            if (method.BiasAdapted)
            {
                // Weights as trained; the head's bias from the target's unlabeled rows (labels not read).
                model = Replace(model, models.Own(BiasAdaptation.Adapt(model, problem.Problem.Target)), members, models);
            }

            int[]? prediction = evaluated.Count > 0 ? model.Predict(problem.Scored) : null;
            results[r] = Scored(new MethodRun(method, seed, prediction, null, curves, null, MemberSeeds(method, seed)) { Requested = requested }, part, classes);
            if (keep.Contains((requested, seed)) || keep.Contains((method.Name, seed)))
            {
                models.Transfer(model, keptModels);
                kept.Add(new KeptModel(method, seed, model, _data.DefinitionFor(method.Aligned), problem.Fitted, memberResults));
            }
            else if (!members.Contains(model))
            {
                models.Release(model);
            }
        }

        return (results, kept);
    }

    /// <summary>
    /// <paramref name="next"/>, made from <paramref name="previous"/>; <paramref name="previous"/> is
    /// disposed now when it was made for this run (not one of its trained members, which other runs may share).
    /// </summary>
    private static TrainedModel Replace(TrainedModel previous, TrainedModel next, TrainedModel[] members, OwnedSet<TrainedModel> models)
    {
        if (!members.Contains(previous))
        {
            models.Release(previous);
        }

        return next;
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

    /// <summary>Why a within-subject method has no score at K = 0.</summary>
    internal static readonly TrainingFailure NoLabeledEpochs = new(
        "no labeled target epochs: a within-subject method is fitted on them alone",
        0,
        "give --target-labeled K with K > 0 (a learning curve's K = 0 point of it stays empty)");

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
