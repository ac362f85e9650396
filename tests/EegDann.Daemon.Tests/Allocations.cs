namespace EegDann.Daemon.Tests;

/// <summary>Measures what a piece of the control path allocates in steady state.</summary>
internal static class Allocations
{
    /// <summary>
    /// Runs <paramref name="pass"/> once to warm up (pass 0), then passes 1, 2, … up to <paramref name="passes"/>
    /// until one allocates nothing on this thread, and returns the bytes of each counted pass. Code that allocates
    /// per item does so in every pass; the runtime itself (a method tiered up, a pooled array trimmed after a
    /// collection) may allocate on this thread in a pass now and then, so a caller asserts on the last pass.
    /// </summary>
    public static IReadOnlyList<long> PerPass(Action<int> pass, int passes = 3)
    {
        pass(0);
        var bytes = new List<long>();
        for (int p = 1; p <= passes && (bytes.Count == 0 || bytes[^1] != 0); p++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            pass(p);
            bytes.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return bytes;
    }
}
