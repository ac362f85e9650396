using EegDann.Daemon.Monitoring;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Processing;

/// <summary>
/// The fail-safe state of one stream: the reason held, entered once per episode (logged and
/// counted), the fail-safe windows of the episode counted, and cleared by the first clean window
/// (logged with that count).
/// </summary>
/// <remarks>Not thread-safe: one stream, one caller.</remarks>
internal sealed partial class FailSafeEpisode(DaemonMetrics metrics, ILogger logger)
{
    private long _windows;

    /// <summary>The reason held, or <see cref="FailSafeReason.None"/>.</summary>
    public FailSafeReason Hold { get; private set; }

    /// <summary>The reason of a window position passed without a window of its own: the one held, else <see cref="FailSafeReason.Gap"/>.</summary>
    public FailSafeReason PassedReason => Hold == FailSafeReason.None ? FailSafeReason.Gap : Hold;

    /// <summary>Enters <paramref name="reason"/> unless it is the one held (a new episode: logged and counted).</summary>
    /// <param name="reason">Why.</param>
    /// <param name="pipelineSample">Where, stream index at the pipeline's rate.</param>
    /// <param name="detail">More for the log (e.g. the channel), or null.</param>
    public void Enter(FailSafeReason reason, long pipelineSample, string? detail)
    {
        if (Hold == reason)
        {
            return;
        }

        metrics.FailSafeEntered(reason);
        if (string.IsNullOrEmpty(detail))
        {
            LogFailSafe(reason.Name(), pipelineSample);
        }
        else
        {
            LogFailSafe(reason.Name(), pipelineSample, detail);
        }

        Hold = reason;
        _windows = 0;
    }

    /// <summary>One more fail-safe window in the episode.</summary>
    public void CountWindow() => _windows++;

    /// <summary>A clean window ending at <paramref name="end"/> (pipeline rate) ends the episode, if any.</summary>
    public void Clear(long end)
    {
        if (Hold == FailSafeReason.None)
        {
            return;
        }

        LogCleared(Hold.Name(), end - 1, _windows);
        Hold = FailSafeReason.None;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fail-safe ({Reason}) from sample {Sample}: {Detail}")]
    private partial void LogFailSafe(string reason, long sample, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fail-safe ({Reason}) from sample {Sample}")]
    private partial void LogFailSafe(string reason, long sample);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fail-safe ({Reason}) cleared: clean window ending at sample {Sample}, after {Windows} fail-safe windows")]
    private partial void LogCleared(string reason, long sample, long windows);
}
