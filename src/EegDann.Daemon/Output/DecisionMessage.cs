using System.Buffers;
using System.Text.Json;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Monitoring;

namespace EegDann.Daemon.Output;

/// <summary>
/// The decision message, one JSON object per datagram (and per stdout line):
/// <c>{"seq":12,"t_ms":2681.25,"command":"left","probabilities":{"left":0.71,"right":0.29},"latency_ms":0.42,"model":"3f9c0a…"}</c>
/// plus <c>"reason"</c> when the command is forced to <c>none</c> by the fail-safe.
/// </summary>
/// <remarks>
/// <c>seq</c> counts every message from 1 without gaps; <c>t_ms</c> is the time of the window's
/// last sample in ms since the stream's sample 0; <c>probabilities</c> are the smoothed class
/// probabilities (empty for a fail-safe); <c>latency_ms</c> runs from the arrival of the window's
/// last sample to the send (null for stale heartbeats, which have no window).
/// </remarks>
public static class DecisionMessage
{
    private static readonly JsonEncodedText Seq = JsonEncodedText.Encode("seq");
    private static readonly JsonEncodedText Time = JsonEncodedText.Encode("t_ms");
    private static readonly JsonEncodedText CommandName = JsonEncodedText.Encode("command");
    private static readonly JsonEncodedText ProbabilitiesName = JsonEncodedText.Encode("probabilities");
    private static readonly JsonEncodedText Latency = JsonEncodedText.Encode("latency_ms");
    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText ReasonName = JsonEncodedText.Encode("reason");

    /// <summary>Writes one message.</summary>
    /// <param name="writer">A reused writer (reset by the caller).</param>
    /// <param name="seq">The message's sequence number.</param>
    /// <param name="decision">The decision.</param>
    /// <param name="latencyMilliseconds">The latency, or null.</param>
    public static void Write(Utf8JsonWriter writer, long seq, Decision decision, double? latencyMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber(Seq, seq);
        writer.WriteNumber(Time, Math.Round(decision.TimeMilliseconds, 3));
        writer.WriteString(CommandName, decision.Command);
        writer.WriteStartObject(ProbabilitiesName);
        for (int k = 0; k < decision.Probabilities.Length; k++)
        {
            writer.WriteNumber(decision.ClassNames[k], Math.Round(decision.Probabilities[k], 6));
        }

        writer.WriteEndObject();
        if (latencyMilliseconds is { } latency)
        {
            writer.WriteNumber(Latency, Math.Round(latency, 4));
        }
        else
        {
            writer.WriteNull(Latency);
        }

        writer.WriteString(ModelName, decision.ModelId);
        if (decision.Reason != FailSafeReason.None)
        {
            writer.WriteString(ReasonName, decision.Reason.Name());
        }

        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>One message as UTF-8 bytes (tests, tools).</summary>
    public static byte[] ToBytes(long seq, Decision decision, double? latencyMilliseconds)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using var writer = new Utf8JsonWriter(buffer);
        Write(writer, seq, decision, latencyMilliseconds);
        return buffer.WrittenSpan.ToArray();
    }
}
