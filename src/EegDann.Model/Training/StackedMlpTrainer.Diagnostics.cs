// The stacked trainer's per-epoch diagnostics (fixed subsets per member), divergence check and progress text.
using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

public static partial class StackedMlpTrainer
{
    /// <summary>The fixed subsets each member's per-epoch diagnostics are measured on.</summary>
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

        public EpochDiagnostics[] Measure(StackedDannNetwork network, int epoch, double progress, double lambda, double rate, bool adversarial)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // Explicit scalars kept alive (see FlatSgd: an implicit one can be freed mid-call when another thread allocates).
            using var alpha = 1.ToScalar(); // add(tensor)'s own alpha, made explicit
            var logits = network.ClassLogits(network.Features(sourceX, alpha), alpha);
            var labelLoss = Nll(logits, sourceY).mean([1]).to_type(ScalarType.Float64).ToHostArray<double>();
            var accuracy = logits.argmax(2).eq(sourceY).to_type(ScalarType.Float64).mean([1]).ToHostArray<double>();
            double[]? domainLoss = null, domainAccuracy = null, labeledLoss = null;
            if (adversarial)
            {
                var domainLogits = network.DomainLogits(network.Features(domainX, alpha), alpha);
                domainLoss = Nll(domainLogits, domainD).mean([1]).to_type(ScalarType.Float64).ToHostArray<double>();
                var correct = domainLogits.argmax(2).eq(domainD).to_type(ScalarType.Float64);
                // Balanced: per member, the mean over the domains present of each domain's accuracy.
                using var zero = 0.0.ToScalar();
                using var one = 1.0.ToScalar();
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
                labeledLoss = Nll(network.ClassLogits(network.Features(labeledX, alpha), alpha), labeledY).mean([1]).to_type(ScalarType.Float64).ToHostArray<double>();
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
        LogLikelihoods(logits, targets.unsqueeze(2)).squeeze(2).neg();

    /// <summary>The log-probability of each row's target, <c>(members, rows, 1)</c>, of <paramref name="logits"/> <c>(members, rows, classes)</c> and <paramref name="targets"/> <c>(members, rows, 1)</c>.</summary>
    private static Tensor LogLikelihoods(Tensor logits, Tensor targets) =>
        nn.functional.log_softmax(logits, 2).gather(2, targets);
}
