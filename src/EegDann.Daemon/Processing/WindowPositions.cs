using EegDann.Dsp.Segmentation;

namespace EegDann.Daemon.Processing;

/// <summary>
/// Which positions of the <see cref="WindowGrid"/> (window ends, pipeline rate) the stage has
/// accounted for: every position the input passes gets exactly one item, a window or a fail-safe,
/// in order. Holds the next position not yet accounted for, or none while nothing is tracked
/// (before the stream's first restart, and after a jump back in time).
/// </summary>
/// <remarks>Not thread-safe: one stream, one caller.</remarks>
internal sealed class WindowPositions
{
    private const long None = long.MinValue;
    private long _next = None;

    /// <summary>The grid (the model's window length and stride).</summary>
    public WindowGrid Grid { get; set; } = new(1, 1);

    /// <summary>Whether positions are being tracked.</summary>
    public bool IsTracking => _next != None;

    /// <summary>The next position not accounted for (meaningful while <see cref="IsTracking"/>).</summary>
    public long Next => _next;

    /// <summary>Stops tracking: positions are accounted again from the next restart or window.</summary>
    public void Forget() => _next = None;

    /// <summary>
    /// The input restarts at <paramref name="pipelineIndex"/>: positions ending at or before it can
    /// never get a window; tracking resumes (or starts) at the first one ending after it, unless
    /// the next position is later already.
    /// </summary>
    public void RestartAt(long pipelineIndex) => _next = Math.Max(_next, Grid.FirstEndAfter(pipelineIndex));

    /// <summary>
    /// Positions ending at or before <paramref name="pipelineIndex"/> get no item at all (they lie in
    /// a gap: one episode, whatever its length); no effect while not tracking.
    /// </summary>
    public void SkipTo(long pipelineIndex)
    {
        if (_next != None)
        {
            _next = Math.Max(_next, Grid.FirstEndAfter(pipelineIndex));
        }
    }

    /// <summary>Positions from the first ending after <paramref name="pipelineIndex"/> on are still to come (e.g. a new model's filters will deliver them).</summary>
    public void ResumeAfter(long pipelineIndex) => _next = Grid.FirstEndAfter(pipelineIndex);

    /// <summary>
    /// Takes the next position if it ends at or before <paramref name="pipelineEnd"/>: the caller
    /// accounts for it (a fail-safe item). Call until false.
    /// </summary>
    public bool TryTakePassed(long pipelineEnd, out long end)
    {
        end = _next;
        if (_next == None || _next > pipelineEnd)
        {
            return false;
        }

        _next += Grid.Stride;
        return true;
    }

    /// <summary>Whether the window ending at <paramref name="end"/> was accounted for already (as a fail-safe position).</summary>
    public bool IsAccounted(long end) => end < _next;

    /// <summary>The window ending at <paramref name="end"/> is accounted for (after the passed positions before it): the next position follows it.</summary>
    public void Take(long end) => _next = end + Grid.Stride;
}
