namespace EegDann.Daemon.Tests;

/// <summary>Waits for the daemon to reach a state. Not a timing assertion: the limit only ends a broken test instead of hanging the run.</summary>
internal static class Eventually
{
    public static async Task WaitAsync(Func<bool> condition, string? what = null)
    {
        var limit = DateTime.UtcNow + DaemonRunner.Safety;
        while (!condition())
        {
            if (DateTime.UtcNow > limit)
            {
                throw new TimeoutException($"the daemon never got there{(what is null ? string.Empty : ": " + what)}");
            }

            await Task.Delay(20);
        }
    }
}
