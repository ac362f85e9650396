namespace EegDann.Daemon.Processing;

/// <summary>How a chunk's first sample index relates to where the stream left off.</summary>
internal enum Continuity
{
    /// <summary>The first chunk since the stream (re)started: nothing to continue.</summary>
    First,

    /// <summary>The chunk starts where the previous one ended.</summary>
    Continues,

    /// <summary>Samples are missing before the chunk (its index jumps forward).</summary>
    Gap,

    /// <summary>The chunk repeats samples or goes back in time (its index jumps back).</summary>
    WentBack,
}

/// <summary>
/// The continuity rule of the fail-safe: follows the source's sample indices and says when a
/// chunk does not start where the previous one ended (a gap or a jump back: the filters must
/// restart), and where the stream stood when it disconnected. A gap is one discontinuity whatever
/// its length: nothing here is proportional to the number of samples missing.
/// </summary>
/// <remarks>Not thread-safe: one stream, one caller.</remarks>
internal sealed class ContinuityGuard
{
    private long _expected;

    /// <summary>Whether a chunk has been seen since <see cref="Forget"/>.</summary>
    public bool HasPosition { get; private set; }

    /// <summary>Source index the next chunk should start at (meaningful when <see cref="HasPosition"/>).</summary>
    public long Expected => _expected;

    /// <summary>Where the stream stands, source index: <see cref="Expected"/>, or 0 before any chunk (a disconnect or a heartbeat is reported there).</summary>
    public long Position => HasPosition ? _expected : 0;

    /// <summary>A new stream: the next chunk continues nothing.</summary>
    public void Forget() => HasPosition = false;

    /// <summary>
    /// Checks the chunk [<paramref name="first"/>, <paramref name="end"/>) against the stream's
    /// position and moves the position to <paramref name="end"/>, whatever the answer.
    /// </summary>
    /// <param name="first">Source index of the chunk's first sample.</param>
    /// <param name="end">Source index one past its last sample.</param>
    /// <param name="expected">Where the chunk should have started (meaningful unless the answer is <see cref="Continuity.First"/>).</param>
    public Continuity Advance(long first, long end, out long expected)
    {
        expected = _expected;
        var answer = !HasPosition ? Continuity.First
            : first == _expected ? Continuity.Continues
            : first > _expected ? Continuity.Gap
            : Continuity.WentBack;
        HasPosition = true;
        _expected = end;
        return answer;
    }

    /// <summary>A chunk whose samples were spent without being used (it could not be processed): the stream goes on after it, so the next chunk is no gap.</summary>
    public void Spent(long end)
    {
        HasPosition = true;
        _expected = end;
    }

    /// <summary>A discontinuity in words, for the log (<see cref="Continuity.Gap"/> or <see cref="Continuity.WentBack"/>, with <see cref="Advance"/>'s <c>expected</c>).</summary>
    public static string Describe(Continuity continuity, long first, long expected) => continuity == Continuity.Gap
        ? $"{first - expected} samples missing before sample {first}"
        : $"sample {first} repeats or goes back (expected {expected})";
}
