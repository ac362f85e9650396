namespace EegDann.Daemon;

/// <summary>
/// A bound in bytes on what a queue holds, beside its bound in items: chunks differ in size (8
/// samples from a replay, 4096 × 1024 channels from a TCP client), so a count alone bounds no
/// memory. Thread-safe: one producer takes, one consumer releases.
/// </summary>
/// <param name="maxBytes">Bytes the queue may hold, &gt; 0. A chunk larger than that alone still passes into an empty queue, so no chunk waits for ever.</param>
internal sealed class QueueBudget(long maxBytes)
{
    private long _bytes;

    /// <summary>Bytes the queue may hold.</summary>
    public long MaxBytes { get; } = maxBytes > 0 ? maxBytes : throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "must be > 0");

    /// <summary>Bytes queued now.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Counts <paramref name="bytes"/> in when they fit (or the queue is empty); false when they do not.</summary>
    public bool TryTake(long bytes)
    {
        while (true)
        {
            long now = Volatile.Read(ref _bytes);
            if (now > 0 && now + bytes > MaxBytes)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _bytes, now + bytes, now) == now)
            {
                return true;
            }
        }
    }

    /// <summary>Counts <paramref name="bytes"/> out (the consumer took them, or they were never queued).</summary>
    public void Release(long bytes) => Interlocked.Add(ref _bytes, -bytes);
}
