namespace EegDann.Dsp.Alignment;

/// <summary>
/// A thread that computes the R^-1/2 recomputations of alignments estimated from a stream
/// (<see cref="OnlineEuclideanAlignment"/>) beside the thread that cuts the windows, so that
/// thread does not pay for the eigendecompositions. A recomputation still comes into use at the
/// window it would without a worker (two windows after it is due: the thread that cuts windows
/// waits for it there if it is not done), from the same R with the same arithmetic, so the
/// whitening and every window are the same bit for bit with a worker or without. A
/// <see cref="Features.SlidingVariances"/> following such an alignment also aligns again here, with
/// the new R^-1/2, the samples of the window it comes into use at that are already there.
/// </summary>
/// <remarks>
/// One worker can serve several alignments (each keeps its own buffers). Posting allocates nothing.
/// <see cref="Dispose"/> finishes the recomputations already posted, then ends the thread; an
/// alignment whose worker is disposed computes its later recomputations itself.
/// </remarks>
public sealed class AlignmentWorker : IDisposable
{
    private readonly object _gate = new();
    private readonly Queue<IAlignmentJob> _queue = new(16);
    private readonly Thread _thread;
    private bool _disposed;
    private long _completed;

    /// <summary>Starts the worker's thread (a background thread).</summary>
    /// <param name="name">The thread's name.</param>
    public AlignmentWorker(string name = "eegdann-alignment")
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Jobs run on the worker's thread so far (recomputations, the realignments that follow them, posted actions).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>
    /// Runs <paramref name="action"/> on the worker's thread after what is already queued (e.g. to
    /// give the thread a scheduling policy once it is known); dropped when the worker is disposed.
    /// Allocates (a wrapper): not for a per-window path.
    /// </summary>
    public void Post(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        TryPost(new ActionJob(action));
    }

    /// <summary>Queues <paramref name="job"/>; false when the worker is disposed (the caller then runs it itself).</summary>
    internal bool TryPost(IAlignmentJob job)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            _queue.Enqueue(job);
            Monitor.Pulse(_gate);
            return true;
        }
    }

    /// <summary>Finishes the recomputations already posted and ends the thread.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Monitor.PulseAll(_gate);
        }

        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }

    private void Run()
    {
        while (true)
        {
            IAlignmentJob job;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_disposed)
                {
                    Monitor.Wait(_gate);
                }

                if (_queue.Count == 0)
                {
                    return;
                }

                job = _queue.Dequeue();
            }

            job.Run();
            Interlocked.Increment(ref _completed);
        }
    }
}

/// <summary>An action as a job: what it throws is dropped (best effort, e.g. a scheduling policy), the worker goes on.</summary>
internal sealed class ActionJob(Action action) : IAlignmentJob
{
    /// <inheritdoc />
    public void Run()
    {
        try
        {
            action();
        }
        catch (Exception)
        {
            // Best effort by contract (see AlignmentWorker.Post).
        }
    }
}

/// <summary>A job a <see cref="AlignmentWorker"/> runs; it catches its own exceptions and signals its own end.</summary>
internal interface IAlignmentJob
{
    /// <summary>Runs the job (never throws).</summary>
    void Run();
}

/// <summary>
/// A reusable job whose owner waits for it: <see cref="Start"/> before posting it, <see cref="Wait"/>
/// for its end (at once in the usual case), <see cref="ThrowIfFailed"/> to see what it threw on the
/// owner's thread. No allocation per run.
/// </summary>
internal abstract class AwaitedAlignmentJob : IAlignmentJob
{
    private readonly object _gate = new();
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _error;
    private bool _done = true;

    /// <summary>Whether the last run threw.</summary>
    public bool Failed => _error != null;

    /// <summary>Marks the job under way (before it is posted, or run on the caller's thread).</summary>
    public void Start()
    {
        _error = null;
        Volatile.Write(ref _done, false);
    }

    /// <inheritdoc />
    public void Run()
    {
        try
        {
            Execute();
        }
        catch (Exception e)
        {
            _error = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            lock (_gate)
            {
                _done = true;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Returns once the job has ended.</summary>
    public void Wait()
    {
        if (Volatile.Read(ref _done))
        {
            return;
        }

        lock (_gate)
        {
            while (!_done)
            {
                Monitor.Wait(_gate);
            }
        }
    }

    /// <summary>Throws what the last run threw, on the caller's thread.</summary>
    public void ThrowIfFailed() => _error?.Throw();

    /// <summary>The work (may throw: <see cref="Run"/> keeps it for <see cref="ThrowIfFailed"/>).</summary>
    protected abstract void Execute();
}
