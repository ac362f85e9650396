using EegDann.Core;
using EegDann.Model;

namespace EegDann.Pipelines.Calibration;

/// <content>The runner's self-training round (methods <c>*_st</c>).</content>
public sealed partial class CrossSubjectRunner
{
    /// <summary>
    /// The second round of the self-training runs: each run's first-round networks (joined) label the
    /// target's unlabeled rows, the more confident half of each predicted class
    /// (<see cref="PseudoLabels.ConfidentHalfPerClass"/>) join the label loss as labeled target rows
    /// (with the truly labeled ones, unless the run refits its head on those), the networks are
    /// trained again from scratch with the same seeds, and the run's slots point to them. A
    /// first-round network no other run uses is disposed; <paramref name="models"/> owns the second round's.
    /// </summary>
    private void SelfTrain(FoldPlan plan, List<TrainingResult> trained, OwnedSet<TrainedModel> models, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var members = plan.Members;
        var slots = plan.Slots;
        var second = new List<StackedMember>();
        var secondSlots = new List<(int Run, int Member)>();
        var replaced = new HashSet<int>();
        for (int r = 0; r < plan.Runs.Count; r++)
        {
            var (method, seed, _) = plan.Runs[r];
            if (!method.SelfTraining)
            {
                continue;
            }

            var first = plan.MembersOf(r);
            if (first.Any(i => trained[i].Failure is not null))
            {
                continue;
            }

            var foldProblem = plan.ProblemOf(method, seed);
            var problem = foldProblem.Problem;
            var firstModels = first.Select(i => trained[i].Model!).ToArray();
            float[] probabilities;
            if (firstModels.Length == 1)
            {
                probabilities = firstModels[0].PredictProbabilities(problem.Target);
            }
            else
            {
                using var joined = ModelEnsemble.Merge(firstModels, firstModels[0].Training);
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
            foreach (int memberSeed in MemberSeeds(method, seed))
            {
                var options = Options(training, memberSeed, foldProblem);
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
            if (trained[i].Model is { } unused)
            {
                models.Release(unused);
            }
        }

        members.AddRange(second);
        trained.AddRange(Owned(StackedMlpTrainer.Train(second, progress, cancellationToken), models));
        slots.AddRange(secondSlots);
    }
}
