// Why one file over 400 lines: it is one algorithm, the stacked trainer (K MLP members trained as
// one batched network: parameter layout, initialisation, dropout, standardisation, the epoch loop
// with DANN's gradient reversal, the divergence check, diagnostics) over shared raw tensors. Issue
// 12 §2 replaces it with a module shared with DannNetwork; it is not split piecemeal before that,
// which would spread the duplicated concepts over more files instead of removing them.
using System.Diagnostics;
using System.Text.Json;
using EegDann.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>One network to train in a stack: its data and its settings (the seed and method may differ between members).</summary>
/// <param name="Problem">The data (feature vectors).</param>
/// <param name="Options">The settings; the extractor must be an <see cref="MlpExtractorSpec"/>.</param>
public sealed record StackedMember(TrainingProblem Problem, TrainingOptions Options);

/// <summary>
/// Trains many small MLP domain-adversarial networks at once — several methods, seeds and members
/// of an ensemble on the same data — as one batched computation: the members' weights are stacked
/// (<c>(members, in, out)</c>) and every layer is one batched matrix product, so libtorch's per-call
/// cost is paid once per step for all members instead of once per member.
/// </summary>
/// <remarks>
/// <para>
/// Each member is trained exactly as <see cref="Trainers"/> trains it on its own — the same losses
/// (source label loss, weighted for <c>reweighting</c>; the adversarial domain loss through gradient
/// reversal; the labeled target's loss), the paper's λ and learning-rate schedules, SGD with
/// momentum and weight decay, per-epoch diagnostics and divergence checks — because the members'
/// parameters are disjoint: the gradient of the summed loss with respect to a member's parameters
/// is the gradient of that member's own loss.
/// </para>
/// <para>
/// Determinism: every random draw of a member (initial weights, shuffles, target sampling, dropout
/// masks, diagnostic subsets) comes from generators seeded by that member's seed alone, so a
/// member's network does not depend on which other members share its stack, nor on the order of
/// members. Members whose data sizes and settings (apart from seed and method) agree share a stack;
/// others are trained in further stacks.
/// </para>
/// </remarks>
public static class StackedMlpTrainer
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

    private static TrainingResult[] TrainStack(MemberPlan[] plans, IProgress<WorkProgress>? progress, string task, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var first = plans[0];
        var options = first.Options;
        var mlp = (MlpExtractorSpec)options.Extractor;
        int m = plans.Length;
        int nS = first.Problem.Source.Samples.Count, nT = first.TargetRows, nL = first.LabeledRows;
        int n = nS + nT + nL;
        int features = first.Problem.SampleShape[0];
        int classes = first.Problem.ClassNames.Count;
        int domains = first.DomainCount;
        bool adversarial = first.Adversarial;
        bool information = first.InformationMaximisation;
        int batch = Math.Min(options.BatchSize, nS);
        int stepsPerEpoch = (nS + batch - 1) / batch;
        long totalSteps = (long)stepsPerEpoch * options.Epochs;
        int labeledPerStep = Math.Min(nL, batch);
        var hidden = mlp.HiddenSizes.ToArray();
        var domainHidden = options.DomainHiddenSizes.ToArray();
        double keep = 1 - mlp.Dropout;
        var lambda = options.Lambda;
        var learningRate = options.LearningRateSchedule;

        var snapshots = new MemberWeights?[m];
        var histories = plans.Select(_ => new List<EpochDiagnostics>()).ToArray();
        var failures = new TrainingFailure?[m];
        long step = 0;
        var stepClock = new Stopwatch();
        var dataRandom = plans.Select(p => new Random(p.Options.Seed)).ToArray();
        var dropoutRandom = plans.Select(p => new Random(unchecked(p.Options.Seed ^ 0x5EED_D0)))
            .ToArray();
        var standardizers = new (float[] Mean, float[] Scale)[m];

        using (NewDisposeScope())
        {
            var layers = CreateLayers(plans, features, hidden, classes, domainHidden, domains, first.Conditional);
            using var optimizer = new FlatSgd(layers.All, options.Momentum, options.WeightDecay);

            // The pool of every member: (members, rows, features), standardised with the member's source statistics.
            var poolValues = new float[(long)m * n * features];
            var labelValues = new long[(long)m * n];
            var domainValues = new long[(long)m * n];
            var weightValues = new float[(long)m * n];
            for (int k = 0; k < m; k++)
            {
                var p = plans[k];
                standardizers[k] = Standardization(p.Problem.Source.Samples, options.Standardization);
                var (mean, scale) = standardizers[k];
                long offset = (long)k * n;
                Copy(p.Problem.Source.Samples, mean, scale, poolValues, offset * features);
                if (nT > 0)
                {
                    Copy(p.Problem.Target, mean, scale, poolValues, (offset + nS) * features);
                }

                if (nL > 0)
                {
                    Copy(p.Problem.TargetLabeled!.Samples, mean, scale, poolValues, (offset + nS + nT) * features);
                }

                for (int i = 0; i < nS; i++)
                {
                    labelValues[offset + i] = p.Problem.Source.Labels[i];
                    domainValues[offset + i] = p.DomainPerSource ? p.Problem.Source.DomainIds![i] : 0;
                    weightValues[offset + i] = p.Weights?.Weights[i] ?? 1f;
                }

                for (int i = nS; i < n; i++)
                {
                    weightValues[offset + i] = 1f;
                    labelValues[offset + i] = i >= nS + nT ? p.Problem.TargetLabeled!.Labels[i - nS - nT] : 0;
                    domainValues[offset + i] = domains - 1;
                }
            }

            var pool = tensor(poolValues, [(long)m * n, features]);
            var labelPool = tensor(labelValues);
            var domainPool = tensor(domainValues);
            var weightPool = plans.Any(p => p.Weights is not null) ? tensor(weightValues) : null;
            // The diagnostic subsets come from their own generators, so how many samples are measured never changes the training itself.
        var diagnosticRandom = plans.Select(p => new Random(unchecked(p.Options.Seed ^ 0x0D1A6))).ToArray();
        var diagnostics = new StackDiagnostics(plans, diagnosticRandom, n, nS, nT, nL, options.DiagnosticSamples, pool, labelPool, domainPool, domains);

            int rowsPerStep = batch + (nT > 0 ? batch : 0) + labeledPerStep;
            int stepsPerChunk = (int)Math.Clamp(ChunkBytes / Math.Max(1L, (long)m * rowsPerStep * (features + hidden.Sum()) * sizeof(float)), 1, stepsPerEpoch);
            var permutations = plans.Select(_ => Enumerable.Range(0, nS).ToArray()).ToArray();
            double lastLambda = 0, lastRate = learningRate.At(0);
            double lossLimit = Math.Log(classes) * options.DivergenceFactor;

            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                stepClock.Start();
                for (int k = 0; k < m; k++)
                {
                    Shuffle(permutations[k], dataRandom[k]);
                }

                for (int chunkStart = 0; chunkStart < stepsPerEpoch; chunkStart += stepsPerChunk)
                {
                    int chunkSteps = Math.Min(stepsPerChunk, stepsPerEpoch - chunkStart);
                    using var chunkScope = NewDisposeScope();
                    // Rows of the chunk, step after step, member after member: [source batch | target batch | labeled batch].
                    var rows = new List<long>();
                    var layout = new (long Offset, int Source, int Target, int Labeled)[chunkSteps];
                    for (int s = 0; s < chunkSteps; s++)
                    {
                        int start = (chunkStart + s) * batch;
                        int b = Math.Min(batch, nS - start);
                        int t = nT > 0 ? b : 0;
                        layout[s] = (rows.Count, b, t, labeledPerStep);
                        for (int k = 0; k < m; k++)
                        {
                            long offset = (long)k * n;
                            for (int i = 0; i < b; i++)
                            {
                                rows.Add(offset + permutations[k][start + i]);
                            }

                            for (int i = 0; i < t; i++)
                            {
                                rows.Add(offset + nS + dataRandom[k].Next(nT));
                            }

                            for (int i = 0; i < labeledPerStep; i++)
                            {
                                rows.Add(offset + nS + nT + dataRandom[k].Next(nL));
                            }
                        }
                    }

                    var index = tensor(rows.ToArray());
                    var chunkX = pool.index_select(0, index);
                    var chunkY = labelPool.index_select(0, index);
                    var chunkD = adversarial ? domainPool.index_select(0, index) : null;
                    var chunkW = weightPool?.index_select(0, index);
                    var chunkMasks = keep < 1 ? DropoutMasks(dropoutRandom, layout, hidden, keep) : null;

                    for (int s = 0; s < chunkSteps; s++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        double p = (double)step / totalSteps;
                        double lam = adversarial || information ? lambda.At(p) : 0;
                        double rate = learningRate.At(p);
                        var (offset, b, t, l) = layout[s];
                        int r = b + t + l;
                        using (NewDisposeScope())
                        {
                            // Explicit scalars kept alive to the end of the step (see FlatSgd: an implicit one, also the alpha 1
                            // TorchSharp's add(tensor) creates, can be finalised mid-call when another thread allocates).
                            using var one = 1.ToScalar();
                            using var sourceCount = ((double)b).ToScalar();
                            using var domainCount = ((double)(b + t)).ToScalar();
                            using var labeledCount = ((double)Math.Max(l, 1)).ToScalar();
                            using var labeledWeight = options.TargetLabelWeight.ToScalar();
                            var x = chunkX.narrow(0, offset, (long)m * r).view(m, r, features);
                            var h = x;
                            for (int layer = 0; layer < hidden.Length; layer++)
                            {
                                h = h.bmm(layers.Hidden[layer].Weight).add_(layers.Hidden[layer].Bias, one).relu_();
                                if (chunkMasks is not null)
                                {
                                    h = h.mul(chunkMasks[layer].Item1.narrow(0, chunkMasks[layer].Item2[s], (long)m * r * hidden[layer]).view(m, r, hidden[layer]));
                                }
                            }

                            var y = chunkY.narrow(0, offset, (long)m * r).view(m, r);
                            var sourceNll = Nll(layers.Label.Apply(h.narrow(1, 0, b)), y.narrow(1, 0, b));
                            if (chunkW is not null)
                            {
                                sourceNll = sourceNll.mul(chunkW.narrow(0, offset, (long)m * r).view(m, r).narrow(1, 0, b));
                            }

                            var loss = sourceNll.sum().div(sourceCount);
                            if (t > 0 && adversarial)
                            {
                                var reversed = GradientReversal.Apply(h.narrow(1, 0, b + t), lam);
                                var domainTargets = chunkD!.narrow(0, offset, (long)m * r).view(m, r).narrow(1, 0, b + t);
                                loss = loss.add(Nll(layers.ApplyDomain(reversed), domainTargets).sum().div(domainCount), one);
                            }

                            if (t > 0 && information)
                            {
                                using var informationWeight = lam.ToScalar();
                                var im = InformationMaximisation.Loss(layers.Label.Apply(h.narrow(1, b, t))).sum();
                                loss = loss.add(im.mul(informationWeight), one);
                            }

                            if (l > 0)
                            {
                                var labeled = Nll(layers.Label.Apply(h.narrow(1, b + t, l)), y.narrow(1, b + t, l)).sum().div(labeledCount);
                                loss = loss.add(labeled.mul(labeledWeight), one);
                            }

                            optimizer.ZeroGrad();
                            loss.backward();
                            optimizer.Step(rate);
                        }

                        lastLambda = lam;
                        lastRate = rate;
                        step++;
                    }
                }

                stepClock.Stop();
                var measured = diagnostics.Measure(layers, epoch, (double)step / totalSteps, lastLambda, lastRate, adversarial);
                var finite = layers.FiniteByMember();
                for (int k = 0; k < m; k++)
                {
                    if (failures[k] is not null)
                    {
                        continue;
                    }

                    histories[k].Add(measured[k]);
                    failures[k] = CheckDivergence(measured[k], finite[k], lossLimit, plans[k].Options);
                }

                progress?.Report(new WorkProgress(task, epoch, options.Epochs, Describe(measured, failures)));
                if (failures.All(f => f is not null))
                {
                    break;
                }
            }

            for (int k = 0; k < m; k++)
            {
                snapshots[k] = failures[k] is null ? layers.Snapshot(k) : null;
            }
        }

        var results = new TrainingResult[m];
        for (int k = 0; k < m; k++)
        {
            var p = plans[k];
            if (failures[k] is { } failure)
            {
                results[k] = new TrainingResult(null, failure, histories[k], clock.Elapsed, stepClock.Elapsed, step);
                continue;
            }

            var record = new TrainingRecord(
                p.Options.Method,
                p.Options.Seed,
                p.Options,
                nS,
                p.Problem.Source.DomainCount,
                p.Problem.Target.Count,
                nL,
                step,
                get_num_threads(),
                histories[k],
                p.Weights?.Summary);
            results[k] = new TrainingResult(snapshots[k]!.ToModel(p.Spec, standardizers[k], p.Problem.ClassNames, record), null, histories[k], clock.Elapsed, stepClock.Elapsed, step);
        }

        return results;
    }

    private static TrainingFailure? CheckDivergence(EpochDiagnostics d, bool finiteWeights, double lossLimit, TrainingOptions options)
    {
        string rate = $"learning rate {d.LearningRate:G3} (initial {options.LearningRate:G3})";
        const string hint = "No model was produced; lower the learning rate (or check the input scaling) and train again.";
        if (!double.IsFinite(d.LabelLoss) || d.DomainLoss is { } dl && !double.IsFinite(dl) || d.TargetLabeledLoss is { } tl && !double.IsFinite(tl))
        {
            return new TrainingFailure($"a loss became {(double.IsNaN(d.LabelLoss) ? "NaN" : "non-finite")} (label loss {d.LabelLoss}, domain loss {d.DomainLoss?.ToString() ?? "n/a"}) at {rate}", d.Epoch, hint);
        }

        if (!finiteWeights)
        {
            return new TrainingFailure($"network weights became non-finite at {rate}", d.Epoch, hint);
        }

        if (d.LabelLoss > lossLimit)
        {
            return new TrainingFailure($"the source label loss {d.LabelLoss:G4} exceeds {lossLimit:G4} ({options.DivergenceFactor}× that of a uniform guess) at {rate}", d.Epoch, hint);
        }

        return null;
    }

    private static string Describe(EpochDiagnostics[] measured, TrainingFailure?[] failures)
    {
        var alive = measured.Where((_, k) => failures[k] is null).ToArray();
        if (alive.Length == 0)
        {
            return "diverged";
        }

        double label = alive.Average(d => d.LabelLoss);
        var domain = alive.Where(d => d.DomainAccuracy is not null).ToArray();
        string text = domain.Length > 0
            ? $"label loss {label:F3}, domain loss {domain.Average(d => d.DomainLoss!.Value):F3}, domain acc {domain.Average(d => d.DomainAccuracy!.Value):F2}, λ {alive[0].Lambda:F2}"
            : $"label loss {label:F3}, source acc {alive.Average(d => d.SourceAccuracy):F2}";
        int failed = failures.Count(f => f is not null);
        return failed > 0 ? $"{text}, {failed} diverged" : text;
    }

    /// <summary>Mean negative log-likelihood per row of <paramref name="logits"/> <c>(members, rows, classes)</c> against <paramref name="targets"/> <c>(members, rows)</c>.</summary>
    private static Tensor Nll(Tensor logits, Tensor targets) =>
        nn.functional.log_softmax(logits, 2).gather(2, targets.unsqueeze(2)).squeeze(2).neg();

    /// <summary>Per hidden layer: the dropout masks of the chunk (scaled by 1/keep) and each step's offset into them.</summary>
    private static (Tensor, long[])[] DropoutMasks(Random[] randoms, (long Offset, int Source, int Target, int Labeled)[] layout, int[] hidden, double keep)
    {
        int m = randoms.Length;
        // 16-bit uniform draws, four per 64-bit number: a unit is kept when its draw is below keep · 2^16.
        uint threshold = (uint)Math.Round(keep * 65536);
        float value = (float)(1 / keep);
        var result = new (Tensor, long[])[hidden.Length];
        for (int layer = 0; layer < hidden.Length; layer++)
        {
            long total = layout.Sum(l => (long)m * (l.Source + l.Target + l.Labeled) * hidden[layer]);
            var masks = new float[total];
            var offsets = new long[layout.Length];
            long position = 0;
            for (int s = 0; s < layout.Length; s++)
            {
                offsets[s] = position;
                int perMember = (layout[s].Source + layout[s].Target + layout[s].Labeled) * hidden[layer];
                for (int k = 0; k < m; k++)
                {
                    var random = randoms[k];
                    for (int i = 0; i < perMember; i += 4)
                    {
                        ulong bits = (ulong)random.NextInt64();
                        for (int j = 0; j < 4 && i + j < perMember; j++)
                        {
                            masks[position + i + j] = ((bits >> (16 * j)) & 0xFFFF) < threshold ? value : 0f;
                        }
                    }

                    position += perMember;
                }
            }

            result[layer] = (tensor(masks), offsets);
        }

        return result;
    }

    private static (float[] Mean, float[] Scale) Standardization(SampleMatrix source, InputStandardization kind)
    {
        int f = source.SampleSize, count = source.Count;
        var mean = new float[f];
        var scale = new float[f];
        if (kind == InputStandardization.None)
        {
            Array.Fill(scale, 1f);
            return (mean, scale);
        }

        // The one fit of the input standardisation (the model's InputStandardizer loads it): double precision, population standard deviation, 1 for constant features.
        var sum = new double[f];
        for (int i = 0; i < count; i++)
        {
            var row = source.Sample(i);
            for (int j = 0; j < f; j++)
            {
                sum[j] += row[j];
            }
        }

        var mu = sum.Select(v => v / count).ToArray();
        var squares = new double[f];
        for (int i = 0; i < count; i++)
        {
            var row = source.Sample(i);
            for (int j = 0; j < f; j++)
            {
                double d = row[j] - mu[j];
                squares[j] += d * d;
            }
        }

        for (int j = 0; j < f; j++)
        {
            double sd = Math.Sqrt(squares[j] / count);
            mean[j] = (float)mu[j];
            scale[j] = sd > 1e-12 ? (float)sd : 1f;
        }

        return (mean, scale);
    }

    private static void Copy(SampleMatrix samples, float[] mean, float[] scale, float[] destination, long offset)
    {
        int f = samples.SampleSize;
        for (int i = 0; i < samples.Count; i++)
        {
            var row = samples.Sample(i);
            long o = offset + ((long)i * f);
            for (int j = 0; j < f; j++)
            {
                destination[o + j] = (row[j] - mean[j]) / scale[j];
            }
        }
    }

    private static void Shuffle(int[] values, Random rng)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static StackLayers CreateLayers(MemberPlan[] plans, int features, int[] hidden, int classes, int[] domainHidden, int domains, bool conditional)
    {
        // Each member is initialised as DannNetwork.Initialize would initialise it from the member's seed:
        // layer by layer in module order (extractor, label head, domain head), weight then bias, U(±1/√fan_in).
        int m = plans.Length;
        var shapes = new List<(int In, int Out)>();
        int width = features;
        foreach (int h in hidden)
        {
            shapes.Add((width, h));
            width = h;
        }

        int featureSize = width;
        shapes.Add((featureSize, classes));
        // The domain head reads the features, or (CDAN) their multilinear map with the class probabilities.
        width = conditional ? featureSize * classes : featureSize;
        foreach (int h in domainHidden)
        {
            shapes.Add((width, h));
            width = h;
        }

        shapes.Add((width, domains));
        var weights = shapes.Select(s => new float[m * s.In * s.Out]).ToArray();
        var biases = shapes.Select(s => new float[m * s.Out]).ToArray();
        using (no_grad())
        {
            for (int k = 0; k < m; k++)
            {
                using var generator = new Generator((ulong)plans[k].Options.Seed);
                for (int l = 0; l < shapes.Count; l++)
                {
                    var (inputs, outputs) = shapes[l];
                    double bound = 1.0 / Math.Sqrt(inputs);
                    using var w = empty(outputs, inputs, device: CPU).uniform_(-bound, bound, generator);
                    using var b = empty(outputs, device: CPU).uniform_(-bound, bound, generator);
                    using var wt = w.t().contiguous();
                    wt.CopyToHost(weights[l].AsSpan(k * inputs * outputs, inputs * outputs));
                    b.CopyToHost(biases[l].AsSpan(k * outputs, outputs));
                }
            }
        }

        StackLinear Make(int l) => new(
            new TorchSharp.Modules.Parameter(tensor(weights[l], [m, shapes[l].In, shapes[l].Out])),
            new TorchSharp.Modules.Parameter(tensor(biases[l], [m, 1, shapes[l].Out])));
        var hiddenLayers = Enumerable.Range(0, hidden.Length).Select(Make).ToArray();
        var label = Make(hidden.Length);
        var domainLayers = Enumerable.Range(hidden.Length + 1, domainHidden.Length).Select(Make).ToArray();
        var domainOutput = Make(shapes.Count - 1);
        return new StackLayers(hiddenLayers, label, domainLayers, domainOutput, conditional);
    }

    /// <summary>A stacked linear layer: weights <c>(members, in, out)</c>, biases <c>(members, 1, out)</c>.</summary>
    private sealed record StackLinear(TorchSharp.Modules.Parameter Weight, TorchSharp.Modules.Parameter Bias)
    {
        public Tensor Apply(Tensor x)
        {
            // An explicit alpha 1 kept alive: add_(tensor) would pass an implicit one, which can be freed mid-call (see FlatSgd).
            using var one = 1.ToScalar();
            return x.bmm(Weight).add_(Bias, one);
        }
    }

    /// <summary>The stacked network; <paramref name="Conditional"/>: the domain head reads the multilinear map of features and class probabilities (CDAN).</summary>
    private sealed record StackLayers(StackLinear[] Hidden, StackLinear Label, StackLinear[] DomainHidden, StackLinear DomainOutput, bool Conditional)
    {
        public IEnumerable<TorchSharp.Modules.Parameter> All =>
            Hidden.Append(Label).Concat(DomainHidden).Append(DomainOutput).SelectMany(l => new[] { l.Weight, l.Bias });

        public Tensor Features(Tensor x)
        {
            var h = x;
            foreach (var layer in Hidden)
            {
                h = layer.Apply(h).relu_();
            }

            return h;
        }

        /// <summary>Domain logits <c>(members, rows, domains)</c> of features <c>(members, rows, hidden)</c> (reversed while training).</summary>
        public Tensor ApplyDomain(Tensor features)
        {
            var h = features;
            if (Conditional)
            {
                // The probabilities from the same values (reversal is the identity forward), as a constant of the map.
                Tensor probabilities;
                using (no_grad())
                {
                    probabilities = MultilinearMap.Probabilities(Label.Apply(features));
                }

                // (members, rows, classes · hidden)
                h = MultilinearMap.Apply(features, probabilities);
            }

            foreach (var layer in DomainHidden)
            {
                h = layer.Apply(h).relu_();
            }

            return DomainOutput.Apply(h);
        }

        public bool[] FiniteByMember()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int m = (int)Label.Weight.shape[0];
            var finite = ones(m, dtype: ScalarType.Bool);
            foreach (var p in All)
            {
                finite = finite.logical_and(p.isfinite().view(m, -1).all(1));
            }

            return finite.ToHostArray<bool>();
        }

        /// <summary>Member <paramref name="k"/>'s parameters, copied out of the stack in the network's layout (<c>(out, in)</c> weights).</summary>
        public MemberWeights Snapshot(int k)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var values = new Dictionary<string, (float[] Values, long[] Shape)>(StringComparer.Ordinal);
            void Add(string name, StackLinear layer)
            {
                var w = layer.Weight[k].t().contiguous();
                values[name + ".weight"] = (w.ToHostArray<float>(), w.shape);
                var b = layer.Bias[k].reshape(-1).contiguous();
                values[name + ".bias"] = (b.ToHostArray<float>(), b.shape);
            }

            for (int l = 0; l < Hidden.Length; l++)
            {
                Add($"features.layers.{l}", Hidden[l]);
            }

            Add("label.output", Label);
            for (int l = 0; l < DomainHidden.Length; l++)
            {
                Add($"domain.hidden.{l}", DomainHidden[l]);
            }

            Add("domain.output", DomainOutput);
            return new MemberWeights(values);
        }
    }

    /// <summary>One member's trained parameters, by <see cref="DannNetwork"/> parameter name.</summary>
    private sealed record MemberWeights(IReadOnlyDictionary<string, (float[] Values, long[] Shape)> Parameters)
    {
        /// <summary>The member as a standalone <see cref="TrainedModel"/> (created outside any dispose scope: the caller owns it).</summary>
        public TrainedModel ToModel(NetworkSpec spec, (float[] Mean, float[] Scale) standardizer, IReadOnlyList<string> classNames, TrainingRecord record)
        {
            var network = new DannNetwork(spec);
            try
            {
                network.LoadParameters(Parameters);
                network.Standardizer.Load(standardizer.Mean, standardizer.Scale);
                return new TrainedModel(network, classNames, record);
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
    }

    /// <summary>The fixed subsets each member's per-epoch diagnostics are measured on (as the single-network loop's).</summary>
    private sealed class StackDiagnostics
    {
        private readonly int m;
        private readonly int domains;
        private readonly Tensor sourceX, sourceY, domainX, domainD, labeledX, labeledY;
        private readonly bool hasLabeled;

        public StackDiagnostics(MemberPlan[] plans, Random[] randoms, int n, int nS, int nT, int nL, int limit, Tensor pool, Tensor labels, Tensor domainLabels, int domains)
        {
            m = plans.Length;
            this.domains = domains;
            var s = new List<long>();
            var both = new List<long>();
            var l = new List<long>();
            int sCount = Math.Min(nS, limit), tCount = Math.Min(nT, limit);
            for (int k = 0; k < m; k++)
            {
                long offset = (long)k * n;
                var sourceRows = Subset(randoms[k], 0, nS, limit);
                var targetRows = Subset(randoms[k], nS, nT, limit);
                s.AddRange(sourceRows.Select(i => offset + i));
                both.AddRange(sourceRows.Concat(targetRows).Select(i => offset + i));
                l.AddRange(Enumerable.Range(nS + nT, nL).Select(i => offset + i));
            }

            var si = tensor(s.ToArray());
            var bi = tensor(both.ToArray());
            var li = tensor(l.ToArray());
            long f = pool.shape[1];
            sourceX = pool.index_select(0, si).view(m, sCount, f);
            sourceY = labels.index_select(0, si).view(m, sCount);
            domainX = pool.index_select(0, bi).view(m, sCount + tCount, f);
            domainD = domainLabels.index_select(0, bi).view(m, sCount + tCount);
            hasLabeled = nL > 0;
            labeledX = pool.index_select(0, li).view(m, nL, f);
            labeledY = labels.index_select(0, li).view(m, nL);
        }

        public EpochDiagnostics[] Measure(StackLayers layers, int epoch, double progress, double lambda, double rate, bool adversarial)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var logits = layers.Label.Apply(layers.Features(sourceX));
            var labelLoss = Nll(logits, sourceY).mean([1]).to_type(ScalarType.Float64).ToHostArray<double>();
            var accuracy = logits.argmax(2).eq(sourceY).to_type(ScalarType.Float64).mean([1]).ToHostArray<double>();
            double[]? domainLoss = null, domainAccuracy = null, labeledLoss = null;
            if (adversarial)
            {
                var domainLogits = layers.ApplyDomain(layers.Features(domainX));
                domainLoss = Nll(domainLogits, domainD).mean([1]).to_type(ScalarType.Float64).ToHostArray<double>();
                var correct = domainLogits.argmax(2).eq(domainD).to_type(ScalarType.Float64);
                // Balanced: per member, the mean over the domains present of each domain's accuracy.
                // Explicit scalars kept alive (see FlatSgd: an implicit one can be freed mid-call when another thread allocates).
                using var zero = 0.0.ToScalar();
                using var one = 1.0.ToScalar();
                using var alpha = 1.ToScalar(); // add(tensor)'s own alpha, made explicit
                var sum = zeros(m, dtype: ScalarType.Float64);
                var present = zeros(m, dtype: ScalarType.Float64);
                for (int d = 0; d < domains; d++)
                {
                    using var domain = ((long)d).ToScalar();
                    var mask = domainD.eq(domain).to_type(ScalarType.Float64);
                    var count = mask.sum([1]);
                    var has = count.gt(zero).to_type(ScalarType.Float64);
                    sum = sum.add(correct.mul(mask).sum([1]).div(count.clamp_min(one)).mul(has), alpha);
                    present = present.add(has, alpha);
                }

                domainAccuracy = sum.div(present.clamp_min(one)).ToHostArray<double>();
            }

            if (hasLabeled)
            {
                labeledLoss = Nll(layers.Label.Apply(layers.Features(labeledX)), labeledY).mean([1]).to_type(ScalarType.Float64).ToHostArray<double>();
            }

            return Enumerable.Range(0, m).Select(k => new EpochDiagnostics(
                epoch, progress, lambda, rate, labelLoss[k], accuracy[k], domainLoss?[k], domainAccuracy?[k], labeledLoss?[k])).ToArray();
        }

        private static long[] Subset(Random rng, int offset, int count, int limit)
        {
            var indices = Enumerable.Range(offset, count).ToArray();
            if (count > limit)
            {
                Shuffle(indices, rng);
                indices = indices[..limit];
                Array.Sort(indices);
            }

            return indices.Select(i => (long)i).ToArray();
        }
    }
}
