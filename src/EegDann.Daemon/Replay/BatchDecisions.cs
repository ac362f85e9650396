using EegDann.Core;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Options;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Model;
using EegDann.Pipelines;
using EegDann.Pipelines.Signal;

namespace EegDann.Daemon.Replay;

/// <summary>
/// The batch path a replay must equal: every sliding window of the whole recording cut by the batch
/// signal pipeline (<see cref="SignalPipeline.ExtractWindows(Recording, int, Action{EpochSet}, string?, int?)"/>,
/// handed over and featurized in blocks of windows so that memory does not grow with the recording), each window featurized whole
/// (<see cref="FeaturePipeline.Transform(Pipelines.Definitions.PipelineDefinition, FittedPipeline, EpochSet)"/>:
/// covariance, W·Σ·Wᵀ, features) with the subject's fitted alignment, the network on all windows
/// at once, then the same decision policy in order. It shares no state or arithmetic with the live
/// path's running sums, so agreement is evidence, not construction. With an alignment estimated from
/// the stream, the estimate is updated window by window in the order the live path sees them
/// (warm-up windows give <c>none</c>) from the samples each window brings, taken from the window the batch
/// pipeline cut (the live path takes them from its stream history); the rule (when R^-1/2 is recomputed,
/// which windows it aligns) is the same. A pipeline standardised per subject, for a subject the model has no statistics for,
/// estimates them the same way: each window's features join the running estimate in window order,
/// then are standardised with it (<see cref="OnlineStandardization"/>; warm-up windows give <c>none</c>).
/// </summary>
public static class BatchDecisions
{
    /// <summary>Windows cut and featurized at a time (about 51 MB for the default pipeline).</summary>
    private const int BlockWindows = 64;

    /// <summary>The batch path's windows and decisions.</summary>
    /// <param name="Ends">Window ends (pipeline-rate stream indices), in order.</param>
    /// <param name="Features">Each window's network input.</param>
    /// <param name="Probabilities">Each window's class probabilities (not smoothed).</param>
    /// <param name="Commands">Each window's command.</param>
    public sealed record Result(IReadOnlyList<long> Ends, IReadOnlyList<double[]> Features, IReadOnlyList<float[]> Probabilities, IReadOnlyList<string> Commands)
    {
        /// <summary>Command by window end.</summary>
        public IReadOnlyDictionary<long, string> CommandByEnd => Ends.Zip(Commands).ToDictionary(p => p.First, p => p.Second);
    }

    /// <summary>Decides every window of <paramref name="recording"/> the batch way.</summary>
    /// <exception cref="InvalidOperationException">When a fixed alignment is asked and the model has no alignment of the recording's subject.</exception>
    public static Result Decide(DecoderModel model, Recording recording, DecoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recording);
        options ??= new DecoderOptions();
        var signal = SignalPipeline.Create(model.Definition, model.Fitted);
        string subject = recording.Metadata.Subject;
        var mode = model.AlignmentFor(subject, options.Alignment);
        // Standardised per subject, a subject without statistics in the model gets them from the stream,
        // as the live path does: the rows are made without, then standardised window by window below.
        var perSubject = model.Fitted.SubjectStandardization;
        bool standardizeFromStream = perSubject is not null && perSubject.For(subject) is null;
        var fitted = standardizeFromStream ? model.Fitted with { States = model.Fitted.States.Where(s => s is not Pipelines.Steps.FittedSubjectStandardization).ToArray() } : model.Fitted;
        var ends = new List<long>();
        var rowList = new List<double[]>();
        var readyList = new List<bool>();
        Action<EpochSet> featurize;
        if (!model.Aligns || mode == OnlineAlignment.Fixed)
        {
            // Each window is featurized on its own: the block's two halves side by side, each with its own featurizer
            // (FeaturePipeline.Transform makes one per call), their rows kept in window order.
            featurize = block =>
            {
                var halves = new[] { block.Epochs.Take(block.Count / 2), block.Epochs.Skip(block.Count / 2) }
                    .Select(h => new EpochSet(block.Subject, block.Info, h.ToArray())).ToArray();
                var features = new FeatureTable[halves.Length];
                Parallel.For(0, halves.Length, h => features[h] = FeaturePipeline.Transform(model.Definition, fitted, halves[h]));
                foreach (var table in features)
                {
                    for (int i = 0; i < table.RowCount; i++)
                    {
                        rowList.Add(table.Row(i).ToArray());
                        readyList.Add(true);
                    }
                }
            };
        }
        else
        {
            var next = StreamAligned(model, fitted, subject, mode);
            featurize = block =>
            {
                foreach (var window in block.Epochs)
                {
                    var (row, warm) = next(window.Data, window.Info.StartSample);
                    rowList.Add(row);
                    readyList.Add(warm);
                }
            };
        }

        // The windows are featurized block by block as they are cut, never all held at once (at the default
        // pipeline's 0.8 MB a window that would be 1.6 GB for a 2-minute recording, about 47 GB for an hour).
        signal.ExtractWindows(recording, BlockWindows, block =>
        {
            featurize(block);
            foreach (var window in block.Epochs)
            {
                ends.Add(window.Info.StartSample + window.SampleCount);
            }
        });
        var rows = rowList.ToArray();
        var ready = readyList.ToArray();

        if (standardizeFromStream && rows.Length > 0)
        {
            var estimate = new OnlineStandardization(rows[0].Length, perSubject!.WarmupWindows, perSubject.UpdateEveryWindows);
            for (int i = 0; i < rows.Length; i++)
            {
                estimate.Observe(rows[i]);
                estimate.Apply(rows[i]);
                ready[i] &= estimate.IsWarm;
            }
        }

        int k = model.ClassNames.Count;
        var probabilities = new float[rows.Length][];
        if (rows.Length > 0)
        {
            var matrix = SampleMatrix.FromRows(rows.Select(r => r.Select(v => (float)v).ToArray()).ToArray());
            var flat = model.Package.Model.PredictProbabilities(matrix);
            for (int i = 0; i < rows.Length; i++)
            {
                probabilities[i] = flat.AsSpan(i * k, k).ToArray();
            }
        }

        var policy = new DecisionPolicy(k, options.SmoothingAlpha, options.ConfidenceThreshold, DecisionPolicy.WindowsFor(options.DwellSeconds, model.StrideSamples / model.PipelineSignal.SampleRateHz));
        var commands = new string[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            if (!ready[i])
            {
                // A warm-up window is a fail-safe: none, and the smoothing starts again.
                policy.Reset();
                commands[i] = Decision.NoCommand;
                continue;
            }

            int c = policy.Update(probabilities[i]);
            commands[i] = c == DecisionPolicy.None ? Decision.NoCommand : model.ClassNames[c];
        }

        return new Result(ends, rows, probabilities, commands);
    }

    /// <summary>
    /// Windows aligned with an estimate from the stream (<see cref="OnlineAlignment.FromStream"/>,
    /// <see cref="OnlineAlignment.Adaptive"/>): called with each window in order, it adds the whole window's
    /// samples that no earlier window brought to the running estimate (their outer products, from the window
    /// as the batch pipeline cut it), then aligns the window with the current R^-1/2 and
    /// featurizes it; a window before the warm-up ends is not ready.
    /// </summary>
    private static Func<double[], long, (double[] Row, bool Ready)> StreamAligned(DecoderModel model, FittedPipeline fitted, string subject, OnlineAlignment mode)
    {
        int n = fitted.Channels.Count, bands = fitted.BandCount;
        var alignment = fitted.Alignment ?? throw new InvalidOperationException($"model of pipeline '{fitted.PipelineName}' has no alignment to estimate from the stream.");
        var online = new OnlineEuclideanAlignment(subject, n, alignment.Options, mode == OnlineAlignment.Adaptive ? alignment.For(subject) : null, bands: bands);
        var featurizer = FeaturePipeline.CreateFeaturizer(model.Definition, fitted, standardize: true, subject);
        var observer = new WindowSampleObserver(online, model.WindowSamples);
        return (window, start) =>
        {
            featurizer.Load(window);
            observer.Observe(window, start);
            featurizer.Align(online.Whitening);
            var row = new double[featurizer.FeatureCount];
            featurizer.Extract(row);
            return (row, online.IsWarm);
        };
    }
}
