using EegDann.Core;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Options;
using EegDann.Model;
using EegDann.Pipelines;
using EegDann.Pipelines.Signal;

namespace EegDann.Daemon.Tests;

/// <summary>
/// The batch path the daemon must equal: every sliding window of a whole recording
/// (<see cref="SignalPipeline.ExtractWindows"/>), their features (<see cref="FeaturePipeline.Transform"/>),
/// the model's batch probabilities, then the same decision policy in order.
/// </summary>
internal static class BatchPath
{
    public sealed record Result(IReadOnlyList<long> Ends, IReadOnlyList<double[]> Features, IReadOnlyList<float[]> Probabilities, IReadOnlyList<string> Commands);

    public static Result Decide(string modelPath, Recording recording, DecoderOptions? options = null)
    {
        options ??= new DecoderOptions();
        using var model = DecoderModelLoader.Load(modelPath);
        var signal = SignalPipeline.Create(model.Definition, model.Fitted);
        var windows = signal.ExtractWindows(recording);
        var features = FeaturePipeline.Transform(model.Definition, model.Fitted, windows);
        var rows = Enumerable.Range(0, features.RowCount).Select(i => features.Row(i).ToArray()).ToArray();
        var matrix = SampleMatrix.FromRows(rows.Select(r => r.Select(v => (float)v).ToArray()).ToArray());
        var flat = model.Package.Model.PredictProbabilities(matrix);
        int k = model.ClassNames.Count;
        var probabilities = Enumerable.Range(0, rows.Length).Select(i => flat.AsSpan(i * k, k).ToArray()).ToArray();
        var policy = new DecisionPolicy(k, options.SmoothingAlpha, options.ConfidenceThreshold, DecisionPolicy.WindowsFor(options.DwellSeconds, model.StrideSamples / model.PipelineSignal.SampleRateHz));
        var commands = probabilities.Select(p => policy.Update(p)).Select(c => c == DecisionPolicy.None ? "none" : model.ClassNames[c]).ToArray();
        var ends = windows.Epochs.Select(e => e.Info.StartSample + e.SampleCount).ToArray();
        return new Result(ends, rows, probabilities, commands);
    }
}
