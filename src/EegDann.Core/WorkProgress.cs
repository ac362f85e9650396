namespace EegDann.Core;

/// <summary>
/// A progress report from long work (import, training, evaluation), given to an
/// <see cref="IProgress{T}"/> so the work itself never knows whether a terminal is watching.
/// </summary>
/// <param name="Task">What is being done, e.g. <c>import S001R04.edf</c>; one bar per distinct task.</param>
/// <param name="Done">Units done so far, 0 ≤ Done ≤ Total.</param>
/// <param name="Total">Units in all (&gt; 0).</param>
/// <param name="Detail">A short status, e.g. <c>label loss 0.52, domain acc 0.51</c>, or null.</param>
public sealed record WorkProgress(string Task, long Done, long Total, string? Detail = null)
{
    /// <summary>Fraction done in [0, 1].</summary>
    public double Fraction => Total <= 0 ? 1 : Math.Clamp((double)Done / Total, 0, 1);
}
