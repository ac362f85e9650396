namespace EegDann.Daemon.Decoding;

/// <summary>
/// Turns a window's class probabilities into a command: an exponential average over windows
/// (p̄ ← α·p + (1 − α)·p̄, starting from the first window's p), a confidence threshold on p̄, and
/// a dwell: a class becomes the command only after it has been the candidate in
/// <see cref="DwellWindows"/> consecutive windows. Dropping below the threshold gives <c>none</c>
/// at once, and a fail-safe (<see cref="Reset"/>) forgets everything. Pure and deterministic: the
/// batch path runs the same object over batch probabilities (offline equals online).
/// </summary>
public sealed class DecisionPolicy
{
    /// <summary>The command index meaning <c>none</c>.</summary>
    public const int None = -1;

    private readonly double[] _smoothed;
    private bool _primed;
    private int _pending = None;
    private int _pendingCount;

    /// <summary>Creates the policy.</summary>
    /// <param name="classCount">Classes (≥ 2).</param>
    /// <param name="alpha">Weight of the newest window, (0, 1].</param>
    /// <param name="threshold">Smoothed probability needed, [0, 1].</param>
    /// <param name="dwellWindows">Consecutive candidate windows needed before the command changes, ≥ 1.</param>
    public DecisionPolicy(int classCount, double alpha, double threshold, int dwellWindows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if (!(alpha > 0 && alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in (0, 1].");
        }

        if (!(threshold >= 0 && threshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "the threshold must be in [0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(dwellWindows, 1);
        _smoothed = new double[classCount];
        Alpha = alpha;
        Threshold = threshold;
        DwellWindows = dwellWindows;
    }

    /// <summary>Weight of the newest window.</summary>
    public double Alpha { get; }

    /// <summary>Smoothed probability needed.</summary>
    public double Threshold { get; }

    /// <summary>Consecutive candidate windows needed before the command changes.</summary>
    public int DwellWindows { get; }

    /// <summary>The current command (class index) or <see cref="None"/>.</summary>
    public int Command { get; private set; } = None;

    /// <summary>The smoothed probabilities after the last window (zeros after a reset).</summary>
    public ReadOnlySpan<double> Smoothed => _smoothed;

    /// <summary>The dwell in windows for a dwell time and a window stride: ⌈dwell / stride⌉ + 1 (a class must have lasted the dwell).</summary>
    public static int WindowsFor(double dwellSeconds, double strideSeconds) =>
        dwellSeconds <= 0 ? 1 : (int)Math.Ceiling((dwellSeconds / strideSeconds) - 1e-9) + 1;

    /// <summary>Takes one window's probabilities; returns the command.</summary>
    public int Update(ReadOnlySpan<float> probabilities)
    {
        if (probabilities.Length != _smoothed.Length)
        {
            throw new ArgumentException($"{probabilities.Length} probabilities for {_smoothed.Length} classes.", nameof(probabilities));
        }

        for (int k = 0; k < _smoothed.Length; k++)
        {
            _smoothed[k] = _primed ? (Alpha * probabilities[k]) + ((1 - Alpha) * _smoothed[k]) : probabilities[k];
        }

        _primed = true;
        int best = 0;
        for (int k = 1; k < _smoothed.Length; k++)
        {
            if (_smoothed[k] > _smoothed[best])
            {
                best = k;
            }
        }

        int candidate = _smoothed[best] >= Threshold ? best : None;
        if (candidate == None)
        {
            Command = None;
            _pending = None;
            _pendingCount = 0;
        }
        else if (candidate == Command)
        {
            _pending = None;
            _pendingCount = 0;
        }
        else
        {
            _pendingCount = candidate == _pending ? _pendingCount + 1 : 1;
            _pending = candidate;
            if (_pendingCount >= DwellWindows)
            {
                Command = candidate;
                _pending = None;
                _pendingCount = 0;
            }
        }

        return Command;
    }

    /// <summary>A fail-safe: the command is <c>none</c> and the history is forgotten.</summary>
    public void Reset()
    {
        Array.Clear(_smoothed);
        _primed = false;
        Command = None;
        _pending = None;
        _pendingCount = 0;
    }
}
