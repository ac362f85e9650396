using System.Collections.Concurrent;

namespace EegDann.Daemon.Monitoring;

/// <summary>How well the daemon is doing, as <c>/health</c> reports it.</summary>
public enum HealthStatus
{
    /// <summary>Every part works.</summary>
    Ok,

    /// <summary>Decoding goes on but a part has failed (e.g. the recorder); the detail says which.</summary>
    Degraded,

    /// <summary>The daemon cannot decode (acquisition is dead, a stage faulted, or it is stopping).</summary>
    Unhealthy,
}

/// <summary>The daemon's health: a status and, unless ok, what is wrong.</summary>
/// <param name="Status">The worst status of any part.</param>
/// <param name="Detail"><c>ok</c>, or every part that is not ok as <c>part: problem</c>, separated by <c>; </c>.</param>
public sealed record HealthReport(HealthStatus Status, string Detail);

/// <summary>
/// The health of the daemon's parts: each part reports when it fails (and clears when it
/// recovers); <c>/health</c> and the tests read the worst. Thread-safe; never on the control path.
/// </summary>
public sealed class DaemonHealth
{
    private readonly ConcurrentDictionary<string, (HealthStatus Status, string Problem)> _parts = new(StringComparer.Ordinal);

    /// <summary>Records that <paramref name="part"/> is not ok.</summary>
    /// <param name="part">The part, e.g. <c>recorder</c>, <c>acquisition</c>.</param>
    /// <param name="status">Degraded (decoding goes on) or unhealthy (it does not).</param>
    /// <param name="problem">What is wrong, for the operator.</param>
    public void Report(string part, HealthStatus status, string problem)
    {
        ArgumentException.ThrowIfNullOrEmpty(part);
        _parts[part] = (status, problem ?? string.Empty);
    }

    /// <summary>Records that <paramref name="part"/> works again.</summary>
    public void Clear(string part) => _parts.TryRemove(part, out _);

    /// <summary>The current health.</summary>
    public HealthReport Check()
    {
        var bad = _parts.ToArray().Where(p => p.Value.Status != HealthStatus.Ok).OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        if (bad.Length == 0)
        {
            return new HealthReport(HealthStatus.Ok, "ok");
        }

        var worst = bad.Max(p => p.Value.Status);
        return new HealthReport(worst, string.Join("; ", bad.Select(p => $"{p.Key}: {p.Value.Problem}")));
    }
}
