// The stacked trainer's epoch loop: the stacked network, the members' pool of standardised rows, shuffles, target
// sampling, dropout masks, the summed loss of every member, SGD, per epoch the diagnostics and divergence checks,
// and at the end each member copied out of the stack into its own DannNetwork.
using System.Diagnostics;
using EegDann.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

public static partial class StackedMlpTrainer
{
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
        double keep = 1 - mlp.Dropout;
        var lambda = options.Lambda;
        var learningRate = options.LearningRateSchedule;

        var histories = plans.Select(_ => new List<EpochDiagnostics>()).ToArray();
        var failures = new TrainingFailure?[m];
        long step = 0;
        var stepClock = new Stopwatch();
        var dataRandom = plans.Select(p => new Random(p.Options.Seed)).ToArray();
        var dropoutRandom = plans.Select(p => new Random(unchecked(p.Options.Seed ^ 0x5EED_D0)))
            .ToArray();
        // Outside the dispose scope of training: the members are copied out of it at the end.
        using var network = new StackedDannNetwork(first.Spec, plans.Select(p => p.Options.Seed).ToArray());
        var fits = plans.Select(p => InputStandardizer.Fit(p.Problem.Source.Samples, options.Standardization)).ToArray();
        network.Standardizer.Load(fits.SelectMany(f => f.Mean).ToArray(), fits.SelectMany(f => f.Scale).ToArray());

        using (NewDisposeScope())
        {
            using var optimizer = new FlatSgd(network.parameters(), options.Momentum, options.WeightDecay);

            // The pool of every member: (members, rows, features), standardised by the network with the member's source statistics.
            var poolValues = new float[(long)m * n * features];
            var labelValues = new long[(long)m * n];
            var domainValues = new long[(long)m * n];
            var weightValues = new float[(long)m * n];
            for (int k = 0; k < m; k++)
            {
                var p = plans[k];
                long offset = (long)k * n;
                Copy(p.Problem.Source.Samples, poolValues, offset * features);
                if (nT > 0)
                {
                    Copy(p.Problem.Target, poolValues, (offset + nS) * features);
                }

                if (nL > 0)
                {
                    Copy(p.Problem.TargetLabeled!.Samples, poolValues, (offset + nS + nT) * features);
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

            Tensor pool;
            using (no_grad())
            {
                using var raw = tensor(poolValues, [m, n, features]);
                pool = network.Standardize(raw).view((long)m * n, features);
            }

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

            // The step's scalars, made once: explicit and kept alive to the end of training (see FlatSgd: an implicit one, also
            // the alpha 1 TorchSharp's add(tensor) creates, can be finalised mid-call when another thread allocates). The
            // divisors are negative row counts: a loss is the sum of the rows' log-likelihoods divided by −rows, which is
            // the mean negative log-likelihood bit for bit (IEEE rounding is symmetric in sign) without a negation node.
            using var one = 1.ToScalar();
            using var labeledWeight = options.TargetLabelWeight.ToScalar();
            using var negativeCounts = new ScalarCache();

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
                    var stepMasks = chunkMasks is null ? null : new Tensor[hidden.Length];

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
                            var x = chunkX.narrow(0, offset, (long)m * r).view(m, r, features);
                            for (int layer = 0; stepMasks is not null && layer < hidden.Length; layer++)
                            {
                                stepMasks[layer] = chunkMasks![layer].Item1.narrow(0, chunkMasks[layer].Item2[s], (long)m * r * hidden[layer]).view(m, r, hidden[layer]);
                            }

                            var h = network.Features(x, one, stepMasks);

                            // Targets (members, rows, 1), as gather takes them.
                            var y = chunkY.narrow(0, offset, (long)m * r).view(m, r, 1);
                            // A step of source rows only reads h and y whole (no full-range slice node, the same gradient).
                            var sourceLikelihoods = b == r
                                ? LogLikelihoods(network.ClassLogits(h, one), y)
                                : LogLikelihoods(network.ClassLogits(h.narrow(1, 0, b), one), y.narrow(1, 0, b));
                            if (chunkW is not null)
                            {
                                sourceLikelihoods = sourceLikelihoods.mul(chunkW.narrow(0, offset, (long)m * r).view(m, r, 1).narrow(1, 0, b));
                            }

                            var loss = sourceLikelihoods.sum().div(negativeCounts[-b]);
                            if (t > 0 && adversarial)
                            {
                                // All rows (no labeled ones): h itself, not a slice of it (one autograd node fewer, the same gradient).
                                var reversed = GradientReversal.Apply(b + t == r ? h : h.narrow(1, 0, b + t), lam);
                                var domainTargets = chunkD!.narrow(0, offset, (long)m * r).view(m, r, 1).narrow(1, 0, b + t);
                                loss = loss.add(LogLikelihoods(network.DomainLogits(reversed, one), domainTargets).sum().div(negativeCounts[-(b + t)]), one);
                            }

                            if (t > 0 && information)
                            {
                                using var informationWeight = lam.ToScalar();
                                var im = InformationMaximisation.Loss(network.ClassLogits(h.narrow(1, b, t), one)).sum();
                                loss = loss.add(im.mul(informationWeight), one);
                            }

                            if (l > 0)
                            {
                                var labeled = LogLikelihoods(network.ClassLogits(h.narrow(1, b + t, l), one), y.narrow(1, b + t, l)).sum().div(negativeCounts[-l]);
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
                var measured = diagnostics.Measure(network, epoch, (double)step / totalSteps, lastLambda, lastRate, adversarial);
                var finite = network.FiniteByMember();
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
            results[k] = new TrainingResult(Model(network.Member(k, p.Spec), p.Problem.ClassNames, record), null, histories[k], clock.Elapsed, stepClock.Elapsed, step);
        }

        return results;
    }

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

    /// <summary>Wraps a member's trained network (disposed if that fails: the caller owns the model).</summary>
    private static TrainedModel Model(DannNetwork network, IReadOnlyList<string> classNames, TrainingRecord record)
    {
        try
        {
            return new TrainedModel(network, classNames, record);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static void Copy(SampleMatrix samples, float[] destination, long offset) =>
        Array.Copy(samples.Values, 0, destination, offset, samples.Values.LongLength);

    /// <summary>Scalars by integer value, each made once and kept alive until disposed.</summary>
    private sealed class ScalarCache : IDisposable
    {
        private readonly Dictionary<int, Scalar> scalars = [];

        public Scalar this[int value]
        {
            get
            {
                if (!scalars.TryGetValue(value, out var scalar))
                {
                    scalar = ((double)value).ToScalar();
                    scalars.Add(value, scalar);
                }

                return scalar;
            }
        }

        public void Dispose()
        {
            foreach (var scalar in scalars.Values)
            {
                scalar.Dispose();
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
}
