using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Output;
using EegDann.Daemon.Processing;
using EegDann.Model;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Benchmarks;

/// <summary>The decode path's times over a recording.</summary>
/// <param name="ModelId">The model's id.</param>
/// <param name="PipelineName">Its pipeline.</param>
/// <param name="Recording">The recording's file name.</param>
/// <param name="Windows">Windows decoded.</param>
/// <param name="PathMilliseconds">Arrival of a window's last sample → its datagram sent, ms.</param>
/// <param name="DecodeMilliseconds">The decoder alone (forward pass + decision policy), ms.</param>
/// <param name="SignalSeconds">Seconds of signal streamed.</param>
/// <param name="WallSeconds">Wall time, s.</param>
/// <param name="CpuSeconds">The process's CPU time over the same span, s.</param>
/// <param name="Allocated">Managed bytes the path allocated on its thread per window in steady state: the last pass, from its fourth second of signal on (the stages, built anew for each pass, bind the model on their first window), by stage.</param>
public sealed record DecodePathResult(string ModelId, string PipelineName, string Recording, long Windows, TimeQuantiles PathMilliseconds, TimeQuantiles DecodeMilliseconds, double SignalSeconds, double WallSeconds, double CpuSeconds, AllocatedPerWindow Allocated);

/// <summary>Managed bytes allocated per window on the control path, by stage.</summary>
/// <param name="WindowStage">The filter/window stage (fail-safe checks, filters, window, features), per window; the chunk's event is the source's.</param>
/// <param name="Decoder">The forward pass and the decision policy.</param>
/// <param name="Output">The datagram (JSON and the send).</param>
public sealed record AllocatedPerWindow(double WindowStage, double Decoder, double Output)
{
    /// <summary>The whole path's bytes per window.</summary>
    public double Total => WindowStage + Decoder + Output;
}

/// <summary>
/// The daemon's decode path for one window, in-process and on one thread, as live: a stride's
/// chunk through the filter/window stage (fail-safe checks, filters, window, features), the
/// decoder (forward pass in a dispose scope, smoothing, threshold, dwell) and the control output
/// (JSON, UDP datagram to loopback), timed from the chunk's arrival stamp to after the send — the
/// daemon's <c>latency_ms</c> without the hand-offs between threads. Used by <c>eegdann bench</c>
/// and the bench project's <c>decode-latency</c>.
/// </summary>
public static class DecodePathTiming
{
    /// <summary>Streams <paramref name="recordingPath"/> through the path <paramref name="passes"/> times (a fresh stage each pass, as a new connection).</summary>
    /// <param name="modelPath">The model file.</param>
    /// <param name="recordingPath">A Parquet recording.</param>
    /// <param name="passes">Passes over the recording (≥ 1).</param>
    /// <param name="maxSeconds">Stream at most this many seconds of each pass (null: all).</param>
    /// <param name="cancellationToken">Stops between chunks.</param>
    public static async Task<DecodePathResult> MeasureAsync(string modelPath, string recordingPath, int passes, double? maxSeconds = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(passes, 1);
        TorchRuntime.UseThreads(1);
        var recording = await ParquetRecordingReader.ReadAsync(recordingPath, cancellationToken);
        var metrics = new DaemonMetrics();
        using var models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);
        var model = DecoderModelLoader.Load(modelPath);
        models.Initialize(model, AlignmentMode.Auto);
        int stride = model.StrideSamples;
        int samples = maxSeconds is { } s ? (int)Math.Min(recording.SampleCount, s * recording.Info.SampleRateHz) : recording.SampleCount;
        var chunks = Enumerable.Range(0, samples / stride).Select(k => SampleChunk.FromChannelMajor(recording.Samples, (long)k * stride, stride)).ToArray();
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var decoder = new DecoderOptions { ModelPath = modelPath };
        using var output = new ControlOutput(new ControlOutputOptions { Udp = receiver.Client.LocalEndPoint!.ToString() }, metrics, NullLogger<ControlOutput>.Instance);
        var draining = DrainAsync(receiver);

        var path = new List<double>(chunks.Length * passes);
        var forward = new List<double>(chunks.Length * passes);
        var items = new List<WindowItem>();
        using var process = Process.GetCurrentProcess();
        var cpuStart = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long windows = 0, passWindows = 0;
        // The stages are built anew for each pass and bind the model on their first window (weights copied,
        // buffers made); steady state is counted from the fourth second of signal on.
        int warmChunks = (int)Math.Ceiling(4 * recording.Info.SampleRateHz / stride);
        var allocated = new long[3];
        for (int pass = 0; pass < passes; pass++)
        {
            passWindows = 0;
            Array.Clear(allocated);
            var stage = new WindowStage(models, new FailSafeOptions(), decoder, new AcquisitionOptions(), metrics, NullLogger<WindowStage>.Instance);
            var decode = new DecodeStage(decoder, models, metrics, [], NullLogger<DecodeStage>.Instance);
            items.Clear();
            stage.Handle(new StreamStarted(new StreamDescription(recording.Info, "bench", recording.Metadata.Subject)), items);
            for (int c = 0; c < chunks.Length; c++)
            {
                var chunk = chunks[c];
                bool counted = c >= warmChunks;
                cancellationToken.ThrowIfCancellationRequested();
                long arrival = Stopwatch.GetTimestamp();
                // The chunk's event is made by the source (on the acquisition thread, with the chunk's samples).
                var arrived = new ChunkArrived(chunk, arrival);
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                items.Clear();
                stage.Handle(arrived, items);
                long stageBytes = GC.GetAllocatedBytesForCurrentThread() - a0;
                foreach (var item in items)
                {
                    long before = Stopwatch.GetTimestamp();
                    long a1 = GC.GetAllocatedBytesForCurrentThread();
                    var decision = decode.Decode(item);
                    long a2 = GC.GetAllocatedBytesForCurrentThread();
                    forward.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds);
                    output.Send(decision);
                    path.Add(Stopwatch.GetElapsedTime(arrival).TotalMilliseconds);
                    windows++;
                    if (counted)
                    {
                        allocated[1] += a2 - a1;
                        allocated[2] += GC.GetAllocatedBytesForCurrentThread() - a2;
                        passWindows++;
                    }
                }

                if (counted)
                {
                    allocated[0] += stageBytes;
                }
            }
        }

        wall.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuStart;
        receiver.Close();
        await draining;
        return new DecodePathResult(
            model.Id,
            model.Definition.Name,
            Path.GetFileName(recordingPath),
            windows,
            TimeQuantiles.Of(path),
            TimeQuantiles.Of(forward),
            passes * (double)samples / recording.Info.SampleRateHz,
            wall.Elapsed.TotalSeconds,
            cpu.TotalSeconds,
            new AllocatedPerWindow(allocated[0] / (double)Math.Max(1, passWindows), allocated[1] / (double)Math.Max(1, passWindows), allocated[2] / (double)Math.Max(1, passWindows)));
    }

    private static async Task DrainAsync(UdpClient receiver)
    {
        try
        {
            while (true)
            {
                await receiver.ReceiveAsync();
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // Closed at the end of the measurement.
        }
    }
}
