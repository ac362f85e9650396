using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace EegDann.Daemon.Calibration;

/// <summary>
/// Runs long background work (training) on its own thread at the lowest scheduling priority, so
/// the control path keeps the processors. On Linux the thread's nice value is raised to 19
/// (.NET's thread priority has no effect there without privileges); elsewhere
/// <see cref="ThreadPriority.Lowest"/> is used.
/// </summary>
internal static partial class LowPriorityThread
{
    private const int PrioProcess = 0;
    private const int LowestNice = 19;

    /// <summary>
    /// Runs asynchronous <paramref name="work"/> on a new low-priority thread; its continuations
    /// (every <c>await</c> that does not opt out of the context) come back to that thread, so the
    /// whole of the work, not just its first synchronous part, stays at low priority.
    /// </summary>
    public static Task<T> Run<T>(string name, Func<Task<T>> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            Lower();
            var context = new PumpContext();
            SynchronizationContext.SetSynchronizationContext(context);
            try
            {
                var task = work();
                _ = task.ContinueWith(_ => context.Complete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                context.RunUntilComplete();
                done.SetResult(task.GetAwaiter().GetResult());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(null);
            }
        })
        {
            IsBackground = true,
            Name = name,
            Priority = ThreadPriority.Lowest,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>The calling thread's nice value on Linux, or null elsewhere.</summary>
    public static int? CurrentNice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Marshal.SetLastPInvokeError(0);
        int nice = GetPriority(PrioProcess, GetTid());
        return Marshal.GetLastPInvokeError() == 0 ? nice : null;
    }

    private static void Lower()
    {
        if (OperatingSystem.IsLinux())
        {
            // Best effort: if it fails the work still runs, at normal priority.
            _ = SetPriority(PrioProcess, GetTid(), LowestNice);
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);

    /// <summary>Runs posted continuations on the thread that calls <see cref="RunUntilComplete"/>.</summary>
    private sealed class PumpContext : SynchronizationContext
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

        public override void Post(SendOrPostCallback d, object? state)
        {
            try
            {
                _queue.Add((d, state));
            }
            catch (InvalidOperationException)
            {
                // The work has finished: a late continuation runs on the thread pool.
                ThreadPool.QueueUserWorkItem(s => d(s), state, preferLocal: false);
            }
        }

        public override void Send(SendOrPostCallback d, object? state) =>
            throw new NotSupportedException("the low-priority thread does not run synchronous sends.");

        public override SynchronizationContext CreateCopy() => this;

        public void Complete() => _queue.CompleteAdding();

        public void RunUntilComplete()
        {
            foreach (var (callback, state) in _queue.GetConsumingEnumerable())
            {
                callback(state);
            }
        }
    }
}
