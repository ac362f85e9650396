using System.Text.Json;
using EegDann.Core;

namespace EegDann.Model;

/// <summary>One network to train in a stack: its data and its settings (the seed and method may differ between members).</summary>
/// <param name="Problem">The data (feature vectors).</param>
/// <param name="Options">The settings; the extractor must be an <see cref="MlpExtractorSpec"/>.</param>
public sealed record StackedMember(TrainingProblem Problem, TrainingOptions Options);

/// <summary>
/// Trains many small MLP domain-adversarial networks at once — several methods, seeds and members
/// of an ensemble on the same data — as one batched computation: the members' weights are stacked
/// (<see cref="StackedDannNetwork"/>) and every layer is one batched matrix product, so libtorch's per-call
/// cost is paid once per step for all members instead of once per member.
/// </summary>
/// <remarks>
/// <para>
/// This is the one training path: <see cref="Trainers"/> trains a network as a stack of one, and a
/// member of any stack is trained exactly as it would be alone (test
/// <c>AStackOfKMembersTrainsEachExactlyAsTrainersTrainsItAlone</c>) — the same losses (source label
/// loss, weighted for <c>reweighting</c>; the adversarial domain loss through gradient reversal; the
/// labeled target's loss), the paper's λ and learning-rate schedules, SGD with momentum and weight
/// decay, per-epoch diagnostics and divergence checks — because the members' parameters are
/// disjoint: the gradient of the summed loss with respect to a member's parameters is the gradient
/// of that member's own loss. The network is a <see cref="StackedDannNetwork"/> (the members'
/// parameters under <see cref="DannNetwork"/>'s names, its initialisation, standardisation and
/// dropout); the parts of the trainer: this file (members, checks, the method → plan table),
/// <c>.Loop</c> (the epoch loop), <c>.Diagnostics</c> (per-epoch diagnostics and the divergence check).
/// </para>
/// <para>
/// Determinism: every random draw of a member (initial weights, shuffles, target sampling, dropout
/// masks, diagnostic subsets) comes from generators seeded by that member's seed alone, so a
/// member's network does not depend on which other members share its stack, nor on the order of
/// members. Members whose data sizes and settings (apart from seed and method) agree share a stack;
/// others are trained in further stacks.
/// </para>
/// </remarks>
public static partial class StackedMlpTrainer
{
    /// <summary>Upper bound of one gathered chunk of batches, in bytes.</summary>
    private const long ChunkBytes = 32L << 20;

    /// <summary>Trains every member; results in member order (a diverged member has a failure and no model).</summary>
    /// <param name="members">The networks to train.</param>
    /// <param name="progress">Receives one report per epoch of each stack (task <c>train N networks</c>), or null.</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    /// <exception cref="ArgumentException">When a member's options or data do not suit its method or this trainer; lists every problem.</exception>
    /// <exception cref="OperationCanceledException">When cancelled.</exception>
    public static IReadOnlyList<TrainingResult> Train(IReadOnlyList<StackedMember> members, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Train(members, null, progress, cancellationToken);

    /// <summary>Every problem with <paramref name="options"/> and <paramref name="problem"/> for the method the options name and for this trainer; empty when it can be trained.</summary>
    internal static List<string> Problems(TrainingProblem problem, TrainingOptions options)
    {
        var problems = TrainerBase.Problems(problem, options);
        if (options.Extractor is not MlpExtractorSpec)
        {
            problems.Add("only the MLP extractor (on feature vectors) is trained");
        }
        else if (problems.Count == 0)
        {
            // The architecture, checked before anything is allocated (sizes, parameter count).
            problems.AddRange(MemberPlan.Network(problem, options).Validate());
        }

        return problems;
    }

    /// <summary>Trains one network as a stack of one; progress reports name the task <c>train METHOD</c>.</summary>
    internal static TrainingResult TrainAlone(StackedMember member, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Train([member], $"train {member.Options.Method.Name()}", progress, cancellationToken)[0];

    private static TrainingResult[] Train(IReadOnlyList<StackedMember> members, string? task, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(members);
        var problems = new List<string>();
        var plans = new MemberPlan[members.Count];
        for (int i = 0; i < members.Count; i++)
        {
            var member = members[i] ?? throw new ArgumentException($"member {i} is null.", nameof(members));
            var memberProblems = Problems(member.Problem, member.Options);
            if (memberProblems.Count > 0)
            {
                problems.Add($"member {i} ({member.Options.Method.Name()}, seed {member.Options.Seed}): " + string.Join("; ", memberProblems));
            }
            else
            {
                plans[i] = MemberPlan.For(member);
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Cannot train: " + string.Join(" | ", problems) + ".");
        }

        var results = new TrainingResult[members.Count];
        var groups = Enumerable.Range(0, members.Count).GroupBy(i => plans[i].StackKey, StringComparer.Ordinal).ToArray();
        for (int g = 0; g < groups.Length; g++)
        {
            var indices = groups[g].ToArray();
            string suffix = groups.Length > 1 ? $" ({g + 1}/{groups.Length})" : "";
            string stackTask = task ?? $"train {indices.Length} network{(indices.Length == 1 ? "" : "s")}{suffix}";
            var stackResults = TrainStack(indices.Select(i => plans[i]).ToArray(), progress, stackTask, cancellationToken);
            for (int k = 0; k < indices.Length; k++)
            {
                results[indices[k]] = stackResults[k];
            }
        }

        return results;
    }

    /// <summary>What one member asks of the loop, and its data in the stack's layout.</summary>
    private sealed class MemberPlan
    {
        public required StackedMember Member { get; init; }

        /// <summary>The member's architecture (the model it becomes).</summary>
        public required NetworkSpec Spec { get; init; }

        public required bool Adversarial { get; init; }

        public required bool DomainPerSource { get; init; }

        public required bool InformationMaximisation { get; init; }

        /// <summary>Whether the domain head reads the multilinear map of features and class probabilities (CDAN).</summary>
        public required bool Conditional { get; init; }

        public required bool UseTargetLabels { get; init; }

        public required ImportanceWeights? Weights { get; init; }

        public required string StackKey { get; init; }

        public TrainingProblem Problem => Member.Problem;

        public TrainingOptions Options => Member.Options;

        public int TargetRows => Adversarial || InformationMaximisation ? Problem.Target.Count : 0;

        public int LabeledRows => UseTargetLabels ? Problem.TargetLabeled!.Samples.Count : 0;

        public int DomainCount => (DomainPerSource ? Problem.Source.DomainCount : 1) + 1;

        /// <summary>The architecture of the network <paramref name="options"/> train on <paramref name="problem"/>.</summary>
        public static NetworkSpec Network(TrainingProblem problem, TrainingOptions options)
        {
            var (adversarial, perSource, _, _) = Losses(options.Method, problem.TargetLabeled is not null);
            int domains = (perSource ? problem.Source.DomainCount : 1) + 1;
            bool conditional = adversarial && options.Method.DomainInput() == DomainHeadInput.MultilinearMap;
            return new NetworkSpec(
                problem.SampleShape.ToArray(),
                problem.ClassNames.Count,
                domains,
                options.Extractor,
                options.DomainHiddenSizes.ToArray(),
                options.Standardization,
                conditional ? DomainHeadInput.MultilinearMap : DomainHeadInput.Features);
        }

        /// <summary>
        /// The method → plan table, the only one: which losses a step of <paramref name="method"/> adds up
        /// (<paramref name="hasLabeled"/>: the problem has labeled target samples).
        /// </summary>
        private static (bool Adversarial, bool DomainPerSource, bool UseTargetLabels, bool InformationMaximisation) Losses(TrainingMethod method, bool hasLabeled) =>
            method switch
            {
                TrainingMethod.SourceOnly => (false, false, hasLabeled, false),
                TrainingMethod.Reweighting => (false, false, hasLabeled, false),
                TrainingMethod.Dann => (true, false, false, false),
                TrainingMethod.SemiSupervisedDann => (true, false, true, false),
                TrainingMethod.MultiSourceDann => (true, true, hasLabeled, false),
                TrainingMethod.DannIm => (true, false, hasLabeled, true),
                TrainingMethod.SourceOnlyIm => (false, false, hasLabeled, true),
                TrainingMethod.Cdan => (true, false, hasLabeled, false),
                _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown training method."),
            };

        public static MemberPlan For(StackedMember member)
        {
            var p = member.Problem;
            var o = member.Options;
            var (adversarial, perSource, labels, information) = Losses(o.Method, p.TargetLabeled is not null);
            var spec = Network(p, o);
            var weights = o.Method == TrainingMethod.Reweighting
                ? ImportanceWeighting.Compute(p.Source.Samples, p.Target, o.ReweightingClip, o.ReweightingC)
                : null;
            int domains = spec.DomainCount;
            bool conditional = spec.DomainInput == DomainHeadInput.MultilinearMap;
            var normalized = o with { Seed = 0, Method = adversarial ? TrainingMethod.Dann : TrainingMethod.SourceOnly };
            string key = string.Join(
                "|",
                adversarial,
                labels,
                information,
                conditional,
                domains,
                p.Source.Samples.Count,
                adversarial || information ? p.Target.Count : 0,
                labels ? p.TargetLabeled!.Samples.Count : 0,
                p.SampleShape[0],
                p.ClassNames.Count,
                JsonSerializer.Serialize(normalized));
            return new MemberPlan
            {
                Member = member,
                Spec = spec,
                Adversarial = adversarial,
                DomainPerSource = perSource,
                InformationMaximisation = information,
                Conditional = conditional,
                UseTargetLabels = labels,
                Weights = weights,
                StackKey = key,
            };
        }
    }
}
