namespace EegDann.Core;

/// <summary>
/// A marked moment in a recording: a cue, an annotation, a gap.
/// </summary>
/// <param name="OnsetSeconds">Seconds from the first sample of the recording.</param>
/// <param name="DurationSeconds">Seconds, &gt;= 0 (0 for an instant).</param>
/// <param name="Label">The event's label as the source gave it, e.g. <c>T1</c> or <c>769</c>.</param>
/// <param name="Sample">The sample index of the onset, counted from the first sample (0-based).</param>
public sealed record RecordingEvent(double OnsetSeconds, double DurationSeconds, string Label, long Sample);
