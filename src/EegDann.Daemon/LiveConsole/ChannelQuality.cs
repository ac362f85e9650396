namespace EegDann.Daemon.LiveConsole;

/// <summary>What the console shows for one channel.</summary>
public enum ChannelState
{
    /// <summary>Nothing wrong seen.</summary>
    Ok,

    /// <summary>Peak-to-peak below the fail-safe's flat level over the last block.</summary>
    Flat,

    /// <summary>A sample reached the fail-safe's saturation level.</summary>
    Saturated,

    /// <summary>A NaN or infinite sample.</summary>
    NonFinite,

    /// <summary>The source is disconnected (or silent).</summary>
    Disconnected,

    /// <summary>Strong line noise (50/60 Hz), or a variance far from the channel's running median or from the other channels'.</summary>
    Noisy,
}

/// <summary>
/// Per-channel signal quality of the raw stream, in blocks of half a second: flat, saturated,
/// non-finite, noisy (50/60 Hz share of the variance by Goertzel, or a variance more than
/// <c>ratio</c> times above or below the channel's running median over the last 30 s or the
/// median over channels) or ok. A non-finite or saturated block is shown for two seconds at least.
/// </summary>
/// <remarks>For the console only: its own copy of the samples, on the console's thread; the decoder's fail-safe checks are <see cref="Processing.ChannelQualityCheck"/>'s.</remarks>
internal sealed class ChannelQuality
{
    private const int HistoryBlocks = 60;
    private const int HoldBlocks = 4;
    private const int MinHistory = 10;
    private static readonly double[] LineHz = [50.0, 60.0];
    private readonly int _channels;
    private readonly int _block;
    private readonly double _flat;
    private readonly double _saturation;
    private readonly double _lineShare;
    private readonly double _ratio;
    private readonly double[] _coefficients;
    private readonly double[] _sum, _sumSquares, _min, _max;
    private readonly double[] _s1, _s2;
    private readonly bool[] _nonFinite, _saturated;
    private readonly int[] _finiteCount;
    private readonly double[][] _history;
    private readonly int[] _holdLeft;
    private readonly ChannelState[] _held;
    private readonly double[] _scratch = new double[HistoryBlocks];
    private readonly double[] _line;
    private readonly double[] _across;
    private int _inBlock;
    private int _historyCount;
    private int _historyNext;
    private bool _disconnected;

    public ChannelQuality(int channels, double sampleRateHz, double flatMicrovolts, double saturationMicrovolts, double lineNoiseShare, double varianceRatio)
    {
        _channels = channels;
        _block = Math.Max(8, (int)Math.Round(sampleRateHz / 2));
        _flat = flatMicrovolts;
        _saturation = saturationMicrovolts;
        _lineShare = lineNoiseShare;
        _ratio = varianceRatio;
        // Goertzel at the line frequencies below Nyquist.
        _coefficients = LineHz.Where(f => f < sampleRateHz / 2).Select(f => 2 * Math.Cos(2 * Math.PI * f / sampleRateHz)).ToArray();
        _sum = new double[channels];
        _sumSquares = new double[channels];
        _min = new double[channels];
        _max = new double[channels];
        _finiteCount = new int[channels];
        _s1 = new double[channels * _coefficients.Length];
        _s2 = new double[channels * _coefficients.Length];
        _nonFinite = new bool[channels];
        _saturated = new bool[channels];
        _history = Enumerable.Range(0, channels).Select(_ => new double[HistoryBlocks]).ToArray();
        _holdLeft = new int[channels];
        _held = new ChannelState[channels];
        States = new ChannelState[channels];
        Variances = new double[channels];
        _line = new double[channels];
        _across = new double[channels];
        ResetBlock();
    }

    /// <summary>Each channel's state after the last complete block (or disconnected).</summary>
    public ChannelState[] States { get; }

    /// <summary>Each channel's variance over the last complete block, µV².</summary>
    public double[] Variances { get; }

    /// <summary>Samples per block.</summary>
    public int BlockSamples => _block;

    /// <summary>Adds samples (sample-major, <c>count</c> × channels, µV).</summary>
    public void Add(ReadOnlySpan<float> samples, int count)
    {
        _disconnected = false;
        int k = _coefficients.Length;
        for (int s = 0; s < count; s++)
        {
            var row = samples.Slice(s * _channels, _channels);
            for (int c = 0; c < _channels; c++)
            {
                double x = row[c];
                if (!double.IsFinite(x))
                {
                    _nonFinite[c] = true;
                    continue;
                }

                _finiteCount[c]++;
                _sum[c] += x;
                _sumSquares[c] += x * x;
                _min[c] = Math.Min(_min[c], x);
                _max[c] = Math.Max(_max[c], x);
                if (Math.Abs(x) >= _saturation)
                {
                    _saturated[c] = true;
                }

                for (int f = 0; f < k; f++)
                {
                    int i = (c * k) + f;
                    double s0 = x + (_coefficients[f] * _s1[i]) - _s2[i];
                    _s2[i] = _s1[i];
                    _s1[i] = s0;
                }
            }

            if (++_inBlock == _block)
            {
                CloseBlock();
            }
        }
    }

    /// <summary>The source went away: every channel is disconnected until samples arrive again.</summary>
    public void Disconnect()
    {
        _disconnected = true;
        ResetBlock();
    }

    /// <summary>The current state of channel <paramref name="c"/> (disconnected while the source is away).</summary>
    public ChannelState State(int c) => _disconnected ? ChannelState.Disconnected : States[c];

    private void CloseBlock()
    {
        int k = _coefficients.Length;
        for (int c = 0; c < _channels; c++)
        {
            int n = _finiteCount[c];
            double mean = n > 0 ? _sum[c] / n : 0;
            Variances[c] = n > 1 ? Math.Max(0, (_sumSquares[c] / n) - (mean * mean)) : 0;
            double line = 0;
            for (int f = 0; f < k; f++)
            {
                int i = (c * k) + f;
                // |X(f)|² of N samples of a sinusoid of amplitude A is (A·N/2)²; its variance is A²/2.
                double power = (_s1[i] * _s1[i]) + (_s2[i] * _s2[i]) - (_coefficients[f] * _s1[i] * _s2[i]);
                line += n > 0 ? 2 * power / ((double)n * n) : 0;
            }

            _line[c] = line;
        }

        Variances.CopyTo(_across, 0);
        double acrossMedian = _channels >= 4 ? Median(_across) : 0;
        for (int c = 0; c < _channels; c++)
        {
            int n = _finiteCount[c];
            double variance = Variances[c];
            var state = ChannelState.Ok;
            if (_nonFinite[c])
            {
                state = ChannelState.NonFinite;
            }
            else if (_saturated[c])
            {
                state = ChannelState.Saturated;
            }
            else if (n > 0 && _max[c] - _min[c] < _flat)
            {
                state = ChannelState.Flat;
            }
            else if (variance > 0 && _line[c] / variance > _lineShare)
            {
                state = ChannelState.Noisy;
            }
            else if (variance > 0 && (FarFrom(variance, OwnMedian(c)) || FarFrom(variance, acrossMedian)))
            {
                state = ChannelState.Noisy;
            }

            if (state is ChannelState.NonFinite or ChannelState.Saturated)
            {
                _held[c] = state;
                _holdLeft[c] = HoldBlocks;
            }
            else if (_holdLeft[c] > 0)
            {
                _holdLeft[c]--;
                state = _held[c];
            }

            States[c] = state;
            if (n > 1)
            {
                _history[c][_historyNext] = variance;
            }
        }

        _historyNext = (_historyNext + 1) % HistoryBlocks;
        _historyCount = Math.Min(HistoryBlocks, _historyCount + 1);
        ResetBlock();
    }

    private bool FarFrom(double variance, double median) => median > 0 && (variance > median * _ratio || variance < median / _ratio);

    /// <summary>The median of the channel's block variances over the last 30 s (0 until there are enough).</summary>
    private double OwnMedian(int c)
    {
        if (_historyCount < MinHistory)
        {
            return 0;
        }

        var own = _scratch.AsSpan(0, _historyCount);
        _history[c].AsSpan(0, _historyCount).CopyTo(own);
        return Median(own);
    }

    private static double Median(Span<double> values)
    {
        values.Sort();
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2;
    }

    private void ResetBlock()
    {
        _inBlock = 0;
        Array.Clear(_sum);
        Array.Clear(_sumSquares);
        Array.Clear(_finiteCount);
        Array.Clear(_s1);
        Array.Clear(_s2);
        Array.Clear(_nonFinite);
        Array.Clear(_saturated);
        Array.Fill(_min, double.PositiveInfinity);
        Array.Fill(_max, double.NegativeInfinity);
    }
}
