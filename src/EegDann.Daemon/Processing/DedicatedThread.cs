using System.Collections.Concurrent;

namespace EegDann.Daemon.Processing;

/// <summary>
/// Runs asynchronous work on a thread of its own whose continuations come back to it: every
/// <c>await</c> in the work (that does not opt out of the context) resumes on that thread, so all
/// of the work, not just its first synchronous part, runs with the thread's scheduling (a
/// real-time policy for acquisition, nice 19 for training).
/// </summary>
internal static class DedicatedThread
{
    /// <summary>Starts <paramref name="work"/> on a new background thread named <paramref name="name"/>, after <paramref name="onStart"/> has run on it.</summary>
    /// <param name="name">The thread's name (shown by <c>top -H</c> and <c>ps -L</c>, cut to 15 characters).</param>
    /// <param name="onStart">Runs first on the new thread (sets its scheduling).</param>
    /// <param name="work">The work.</param>
    /// <param name="priority">The .NET priority (has no effect on Linux without privileges; the scheduling is <paramref name="onStart"/>'s job).</param>
    public static Task<T> Run<T>(string name, Action onStart, Func<Task<T>> work, ThreadPriority priority = ThreadPriority.Normal)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var context = new PumpContext();
            SynchronizationContext.SetSynchronizationContext(context);
            try
            {
                onStart();
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
            Priority = priority,
        };
        thread.Start();
        return done.Task;
    }

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
            throw new NotSupportedException("a dedicated thread does not run synchronous sends.");

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
