using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Output;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Processing;

/// <summary>
/// Runs the control path once on a few seconds of synthetic noise before the stream starts
/// (filters, windows, features, forward pass, decision, message), on throwaway stages, so the
/// first real windows do not pay for JIT compilation. Nothing is sent or counted.
/// </summary>
internal static class ControlPathWarmup
{
    /// <summary>Warms the path up for <paramref name="model"/>.</summary>
    public static void Run(DecoderModel model, DecoderOptions decoder, FailSafeOptions failSafe, double seconds = 3.0)
    {
        var metrics = new DaemonMetrics();

        // A throwaway holder around the daemon's model; never disposed, since the model is not its own.
        var models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);
        models.Initialize(model, decoder.Alignment);
        var stage = new WindowStage(models, failSafe, decoder, new AcquisitionOptions { Subject = "warm-up" }, metrics, NullLogger<WindowStage>.Instance);
        var decode = new DecodeStage(decoder, models, metrics, [], NullLogger<DecodeStage>.Instance);
        var info = model.PipelineSignal;
        var items = new List<WindowItem>();
        stage.Handle(new StreamStarted(new StreamDescription(info, "warm-up")), items);
        var random = new Random(0);
        int c = info.ChannelCount, chunk = model.StrideSamples;
        long total = (long)(seconds * info.SampleRateHz);
        var buffer = new ArrayBufferWriter<byte>(512);
        using var json = new Utf8JsonWriter(buffer);
        for (long first = 0; first < total; first += chunk)
        {
            var values = new float[chunk * c];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)((random.NextDouble() - 0.5) * 40.0);
            }

            items.Clear();
            stage.Handle(new ChunkArrived(new SampleChunk(first, c, chunk, values), Stopwatch.GetTimestamp()), items);
            foreach (var item in items)
            {
                var decision = decode.Decode(item);
                buffer.ResetWrittenCount();
                json.Reset(buffer);
                DecisionMessage.Write(json, 1, decision, 0.0);
            }
        }
    }
}
