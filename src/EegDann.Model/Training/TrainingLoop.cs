using System.Diagnostics;
using EegDann.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>What a method asks of the shared training loop.</summary>
/// <param name="Adversarial">Train the domain head through gradient reversal.</param>
/// <param name="DomainPerSource">One domain per source subject (plus the target) instead of source vs target.</param>
/// <param name="UseTargetLabels">Add the labeled target samples to the label loss.</param>
/// <param name="SourceWeights">Per-source-sample weights of the label loss (mean 1), or null for equal weights.</param>
/// <param name="Reweighting">Summary of <paramref name="SourceWeights"/>, recorded in the model.</param>
/// <param name="InformationMaximisation">Add <see cref="Model.InformationMaximisation"/> on the unlabeled target batch, weighted by λ.</param>
internal sealed record TrainingPlan(bool Adversarial, bool DomainPerSource, bool UseTargetLabels, float[]? SourceWeights, ImportanceWeightSummary? Reweighting, bool InformationMaximisation);

/// <summary>
/// The one training loop every method runs: each step a labeled source batch (plus, for
/// adversarial methods, an equal batch of unlabeled target samples, and for semi-supervised DANN a
/// batch of labeled target samples), the paper's λ and learning-rate schedules, SGD with momentum,
/// per-epoch diagnostics and divergence checks.
/// </summary>
internal static class TrainingLoop
{
    /// <summary>Upper bound of one gathered chunk of batches, in bytes (keeps memory flat for large windows).</summary>
    private const long ChunkBytes = 64L << 20;

    public static TrainingResult Run(TrainingProblem problem, TrainingOptions options, TrainingPlan plan, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var source = problem.Source;
        var labeledTarget = plan.UseTargetLabels ? problem.TargetLabeled : null;
        int nS = source.Samples.Count;
        int nT = plan.Adversarial || plan.InformationMaximisation ? problem.Target.Count : 0;
        int nL = labeledTarget?.Samples.Count ?? 0;
        int sourceDomains = plan.DomainPerSource ? source.DomainCount : 1;
        int targetDomain = sourceDomains;
        var spec = new NetworkSpec(
            problem.SampleShape.ToArray(),
            problem.ClassNames.Count,
            sourceDomains + 1,
            options.Extractor,
            options.DomainHiddenSizes.ToArray(),
            options.Standardization,
            plan.Adversarial ? options.Method.DomainInput() : DomainHeadInput.Features);
        var specProblems = spec.Validate();
        if (specProblems.Count > 0)
        {
            throw new ArgumentException("The network cannot be built for this data: " + string.Join("; ", specProblems) + ".");
        }

        int batch = Math.Min(options.BatchSize, nS);
        int stepsPerEpoch = (nS + batch - 1) / batch;
        long totalSteps = (long)stepsPerEpoch * options.Epochs;
        int labeledPerStep = Math.Min(nL, batch);
        var lambda = options.Lambda;
        var learningRate = options.LearningRateSchedule;
        string task = $"train {options.Method.Name()}";
        var rng = new Random(options.Seed);

        var network = new DannNetwork(spec);
        bool keep = false;
        try
        {
            // The generator lives where the parameters and dropout masks do (TorchRuntime.UseDevice); on the CPU it is the CPU generator as always.
            var device = get_default_device();
            using var generator = new Generator((ulong)options.Seed, device.type == DeviceType.CPU ? null : device);
            network.Initialize(generator);
            network.UseGenerator(generator);

            using var data = NewDisposeScope();
            // The pool: every row any step may read, standardised once: source, then target, then labeled target.
            Tensor pool;
            using (no_grad())
            {
                var rawSource = ToTensor(source.Samples);
                network.Standardizer.Fit(rawSource);
                var parts = new List<Tensor> { network.Standardize(rawSource) };
                if (nT > 0)
                {
                    parts.Add(network.Standardize(ToTensor(problem.Target)));
                }

                if (nL > 0)
                {
                    parts.Add(network.Standardize(ToTensor(labeledTarget!.Samples)));
                }

                pool = parts.Count == 1 ? parts[0] : cat(parts, 0);
            }

            var poolLabels = new long[nS + nT + nL];
            var poolDomains = new long[nS + nT + nL];
            var poolWeights = new float[nS + nT + nL];
            for (int i = 0; i < nS; i++)
            {
                poolLabels[i] = source.Labels[i];
                poolDomains[i] = plan.DomainPerSource ? source.DomainIds![i] : 0;
                poolWeights[i] = plan.SourceWeights?[i] ?? 1f;
            }

            for (int i = nS; i < poolLabels.Length; i++)
            {
                poolLabels[i] = i >= nS + nT ? labeledTarget!.Labels[i - nS - nT] : 0;
                poolDomains[i] = targetDomain;
                poolWeights[i] = 1f;
            }

            var labelTensor = tensor(poolLabels);
            var domainTensor = tensor(poolDomains);
            var weightTensor = plan.SourceWeights is null ? null : tensor(poolWeights);
            var diagnostics = new DiagnosticSet(rng, nS, nT, nL, options.DiagnosticSamples, pool, labelTensor, domainTensor);

            using var optimizer = new FlatSgd(network.parameters(), options.Momentum, options.WeightDecay);
            network.train();

            int rowsPerStep = batch + (nT > 0 ? batch : 0) + labeledPerStep;
            long bytesPerStep = (long)rowsPerStep * spec.SampleSize * sizeof(float);
            int stepsPerChunk = (int)Math.Clamp(ChunkBytes / Math.Max(1, bytesPerStep), 1, stepsPerEpoch);
            var history = new List<EpochDiagnostics>();
            var permutation = Enumerable.Range(0, nS).ToArray();
            long step = 0;
            double lastLambda = 0, lastRate = learningRate.At(0);
            double uniformLoss = Math.Log(spec.ClassCount);

            // An explicit scalar alive for the whole loop, made once rather than per step (see FlatSgd: an implicit one can be
            // freed mid-call when another thread allocates).
            using var labeledWeight = options.TargetLabelWeight.ToScalar();
            var stepClock = new Stopwatch();
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                stepClock.Start();
                Shuffle(permutation, rng);
                for (int chunkStart = 0; chunkStart < stepsPerEpoch; chunkStart += stepsPerChunk)
                {
                    int chunkSteps = Math.Min(stepsPerChunk, stepsPerEpoch - chunkStart);
                    using var chunkScope = NewDisposeScope();
                    // Rows of the chunk, step after step: [source batch | target batch | labeled target batch].
                    var rows = new List<long>(chunkSteps * rowsPerStep);
                    var layout = new (int Offset, int Source, int Target, int Labeled)[chunkSteps];
                    for (int s = 0; s < chunkSteps; s++)
                    {
                        int first = (chunkStart + s) * batch;
                        int b = Math.Min(batch, nS - first);
                        layout[s] = (rows.Count, b, nT > 0 ? b : 0, labeledPerStep);
                        for (int i = 0; i < b; i++)
                        {
                            rows.Add(permutation[first + i]);
                        }

                        for (int i = 0; i < layout[s].Target; i++)
                        {
                            rows.Add(nS + rng.Next(nT));
                        }

                        for (int i = 0; i < labeledPerStep; i++)
                        {
                            rows.Add(nS + nT + rng.Next(nL));
                        }
                    }

                    var index = tensor(rows.ToArray());
                    var chunkX = pool.index_select(0, index);
                    var chunkY = labelTensor.index_select(0, index);
                    var chunkD = plan.Adversarial ? domainTensor.index_select(0, index) : null;
                    var chunkW = weightTensor?.index_select(0, index);

                    for (int s = 0; s < chunkSteps; s++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        double p = (double)step / totalSteps;
                        double lam = nT > 0 ? lambda.At(p) : 0;
                        double rate = learningRate.At(p);
                        var (offset, b, t, l) = layout[s];
                        using (NewDisposeScope())
                        {
                            var x = chunkX.narrow(0, offset, b + t + l);
                            var features = network.Features(x);
                            var sourceFeatures = t + l == 0 ? features : features.narrow(0, 0, b);
                            var y = chunkY.narrow(0, offset, b);
                            Tensor loss;
                            if (chunkW is null)
                            {
                                loss = nn.functional.cross_entropy(network.ClassLogits(sourceFeatures), y);
                            }
                            else
                            {
                                loss = nn.functional.cross_entropy(network.ClassLogits(sourceFeatures), y, reduction: nn.Reduction.None)
                                    .mul_(chunkW.narrow(0, offset, b)).mean();
                            }

                            // The domain loss is a second root of the backward pass rather than a term added to the loss: the same
                            // gradients (an added term's gradient is 1 · the loss's, exactly), one operation and one graph node fewer.
                            Tensor? domainLoss = null;
                            if (t > 0 && plan.Adversarial)
                            {
                                var both = l == 0 ? features : features.narrow(0, 0, b + t);
                                domainLoss = nn.functional.cross_entropy(network.DomainLogits(both, lam), chunkD!.narrow(0, offset, b + t));
                            }

                            if (t > 0 && plan.InformationMaximisation)
                            {
                                using var informationWeight = lam.ToScalar();
                                var im = InformationMaximisation.Loss(network.ClassLogits(features.narrow(0, b, t)).unsqueeze(0)).squeeze(0);
                                loss = loss.add_(im, informationWeight);
                            }

                            if (l > 0)
                            {
                                var labeledLoss = nn.functional.cross_entropy(
                                    network.ClassLogits(features.narrow(0, b + t, l)), chunkY.narrow(0, offset + b + t, l));
                                loss = loss.add_(labeledLoss, alpha: labeledWeight);
                            }

                            optimizer.ZeroGrad();
                            if (domainLoss is null)
                            {
                                loss.backward();
                            }
                            else
                            {
                                autograd.backward([loss, domainLoss]);
                            }

                            optimizer.Step(rate);
                        }

                        lastLambda = lam;
                        lastRate = rate;
                        step++;
                    }
                }

                stepClock.Stop();
                var measured = diagnostics.Measure(network, epoch, (double)step / totalSteps, lastLambda, lastRate, plan.Adversarial, sourceDomains + 1);
                history.Add(measured);
                var failure = CheckDivergence(measured, optimizer, uniformLoss * options.DivergenceFactor, options);
                if (failure is not null)
                {
                    progress?.Report(new WorkProgress(task, epoch, options.Epochs, "diverged"));
                    return new TrainingResult(null, failure, history, clock.Elapsed, stepClock.Elapsed, step);
                }

                progress?.Report(new WorkProgress(task, epoch, options.Epochs, Describe(measured)));
            }

            var record = new TrainingRecord(
                options.Method,
                options.Seed,
                options,
                nS,
                source.DomainCount,
                problem.Target.Count,
                nL,
                step,
                get_num_threads(),
                history,
                plan.Reweighting);
            var model = new TrainedModel(network, problem.ClassNames, record);
            keep = true;
            return new TrainingResult(model, null, history, clock.Elapsed, stepClock.Elapsed, step);
        }
        finally
        {
            if (!keep)
            {
                network.Dispose();
            }
        }
    }

    private static TrainingFailure? CheckDivergence(EpochDiagnostics d, FlatSgd optimizer, double lossLimit, TrainingOptions options)
    {
        string rate = $"learning rate {d.LearningRate:G3} (initial {options.LearningRate:G3})";
        const string hint = "No model was produced; lower the learning rate (or check the input scaling) and train again.";
        if (!double.IsFinite(d.LabelLoss) || d.DomainLoss is { } dl && !double.IsFinite(dl) || d.TargetLabeledLoss is { } tl && !double.IsFinite(tl))
        {
            return new TrainingFailure($"a loss became {(double.IsNaN(d.LabelLoss) ? "NaN" : "non-finite")} (label loss {d.LabelLoss}, domain loss {d.DomainLoss?.ToString() ?? "n/a"}) at {rate}", d.Epoch, hint);
        }

        if (!optimizer.AllFinite())
        {
            return new TrainingFailure($"network weights became non-finite at {rate}", d.Epoch, hint);
        }

        if (d.LabelLoss > lossLimit)
        {
            return new TrainingFailure($"the source label loss {d.LabelLoss:G4} exceeds {lossLimit:G4} ({options.DivergenceFactor}× that of a uniform guess) at {rate}", d.Epoch, hint);
        }

        return null;
    }

    private static string Describe(EpochDiagnostics d) =>
        d.DomainAccuracy is { } acc
            ? $"label loss {d.LabelLoss:F3}, domain loss {d.DomainLoss:F3}, domain acc {acc:F2}, λ {d.Lambda:F2}"
            : $"label loss {d.LabelLoss:F3}, source acc {d.SourceAccuracy:F2}";

    private static Tensor ToTensor(SampleMatrix samples) =>
        tensor(samples.Values, [samples.Count, .. samples.SampleShape.Select(s => (long)s)]);

    private static void Shuffle(int[] values, Random rng)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary>The fixed subset the per-epoch diagnostics are measured on.</summary>
    private sealed class DiagnosticSet
    {
        private readonly Tensor sourceX, sourceY, domainX, domainD, labeledX, labeledY;
        private readonly bool hasLabeled;

        public DiagnosticSet(Random rng, int nS, int nT, int nL, int limit, Tensor pool, Tensor labels, Tensor domains)
        {
            var s = Subset(rng, 0, nS, limit);
            var t = Subset(rng, nS, nT, limit);
            sourceX = pool.index_select(0, tensor(s));
            sourceY = labels.index_select(0, tensor(s));
            var both = tensor(s.Concat(t).ToArray());
            domainX = pool.index_select(0, both);
            domainD = domains.index_select(0, both);
            hasLabeled = nL > 0;
            var l = Enumerable.Range(nS + nT, nL).Select(i => (long)i).ToArray();
            labeledX = pool.index_select(0, tensor(l));
            labeledY = labels.index_select(0, tensor(l));
        }

        public EpochDiagnostics Measure(DannNetwork network, int epoch, double progress, double lambda, double rate, bool adversarial, int domainCount)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            network.eval();
            try
            {
                var logits = network.ClassLogits(network.Features(sourceX));
                double labelLoss = nn.functional.cross_entropy(logits, sourceY).item<float>();
                double accuracy = logits.argmax(1).eq(sourceY).to_type(ScalarType.Float64).mean().item<double>();
                double? domainLoss = null, domainAccuracy = null, labeledLoss = null;
                if (adversarial)
                {
                    var domainLogits = network.DomainLogits(network.Features(domainX), 0);
                    domainLoss = nn.functional.cross_entropy(domainLogits, domainD).item<float>();
                    var correct = domainLogits.argmax(1).eq(domainD).to_type(ScalarType.Float64);
                    // Balanced: the mean over domains of each domain's accuracy.
                    double sum = 0;
                    int present = 0;
                    for (int d = 0; d < domainCount; d++)
                    {
                        // An explicit scalar kept alive (see FlatSgd: an implicit one can be freed mid-call when another thread allocates).
                        using var domain = d.ToScalar();
                        var mask = domainD.eq(domain);
                        long count = mask.sum().item<long>();
                        if (count > 0)
                        {
                            sum += correct.masked_select(mask).mean().item<double>();
                            present++;
                        }
                    }

                    domainAccuracy = sum / Math.Max(1, present);
                }

                if (hasLabeled)
                {
                    labeledLoss = nn.functional.cross_entropy(network.ClassLogits(network.Features(labeledX)), labeledY).item<float>();
                }

                return new EpochDiagnostics(epoch, progress, lambda, rate, labelLoss, accuracy, domainLoss, domainAccuracy, labeledLoss);
            }
            finally
            {
                network.train();
            }
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
