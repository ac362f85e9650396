using EegDann.Core;
using EegDann.Daemon.Models;
using EegDann.Daemon.Options;
using EegDann.Model;
using EegDann.Pipelines;

namespace EegDann.Daemon.Calibration;

/// <summary>
/// What a model decides on the subject's collected signal: each stretch streamed through the
/// model's live front end (the decoder's own path), every window predicted, the share of windows
/// whose most probable class is each class. The check that a calibrated model does not give
/// everything one class.
/// </summary>
internal static class TargetPredictions
{
    /// <summary>Share of windows per class (classes with no window included, at 0); empty when no window was complete.</summary>
    public static IReadOnlyDictionary<string, double> ClassShares(DecoderModel model, IReadOnlyList<Recording> target, string subject, AlignmentMode alignment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(target);
        var counter = new Counter(model);
        foreach (var recording in target)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var frontEnd = model.CreateFrontEnd(recording.Info, subject, alignment, counter);
            const int Chunk = 1600;
            for (long start = 0; start < recording.SampleCount; start += Chunk)
            {
                frontEnd.Push(SampleChunk.FromChannelMajor(recording.Samples, start, (int)Math.Min(Chunk, recording.SampleCount - start)));
            }
        }

        if (counter.Total == 0)
        {
            return new Dictionary<string, double>();
        }

        return model.ClassNames.Select((c, k) => (c, k)).ToDictionary(p => p.c, p => (double)counter.Counts[p.k] / counter.Total, StringComparer.Ordinal);
    }

    private sealed class Counter(DecoderModel model) : IOnlineWindowConsumer
    {
        private readonly ModelPredictor _predictor = model.CreatePredictor();
        private readonly float[] _input = new float[model.InputSize];
        private readonly float[] _probabilities = new float[model.ClassNames.Count];

        public int[] Counts { get; } = new int[model.ClassNames.Count];

        public int Total { get; private set; }

        public void OnWindow(in OnlineWindow window)
        {
            var input = window.Features;
            if (!window.Ready || input.Length != _input.Length)
            {
                return;
            }

            for (int i = 0; i < _input.Length; i++)
            {
                _input[i] = (float)input[i];
            }

            _predictor.PredictProbabilities(_input, _probabilities);
            int best = 0;
            for (int k = 1; k < _probabilities.Length; k++)
            {
                if (_probabilities[k] > _probabilities[best])
                {
                    best = k;
                }
            }

            Counts[best]++;
            Total++;
        }
    }
}
