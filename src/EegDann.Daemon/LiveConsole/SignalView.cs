using EegDann.Core;
using EegDann.Dsp.Filters;

namespace EegDann.Daemon.LiveConsole;

/// <summary>
/// The last <see cref="Seconds"/> of a few channels after the pipeline's filters (its signal
/// steps' designs, e.g. the band-pass; with a filter bank, then the sum of its bands — the
/// signal the bank passes), at the stream's rate thinned to at most
/// <see cref="MaxDisplayHz"/>. A gap, a NaN or a stream restart starts the filters again and
/// leaves a hole (NaN) in the trace.
/// </summary>
/// <remarks>
/// The designs are those of the model file, at the pipeline's rate; when the stream has another
/// rate the trace is the raw signal and <see cref="Filtered"/> says so (the decoder's own
/// resampling is not repeated here).
/// </remarks>
internal sealed class SignalView
{
    /// <summary>Seconds kept.</summary>
    public const double Seconds = 10.0;

    /// <summary>Highest rate of the trace sent to the page.</summary>
    public const double MaxDisplayHz = 250.0;

    private readonly int[] _indices;
    private readonly SosFilter[] _filters;
    private readonly SosFilter[] _bank;
    private readonly double[] _row;
    private readonly double[] _band;
    private readonly float[][] _ring;
    private readonly int _thin;
    private int _phase;
    private int _next;
    private int _count;
    private long _expected = -1;

    public SignalView(SignalInfo stream, IReadOnlyList<string> wanted, IReadOnlyList<SosDesign> designs, IReadOnlyList<SosDesign> bank, string filterDescription)
    {
        var names = new List<string>();
        var indices = new List<int>();
        foreach (string name in wanted)
        {
            int i = stream.IndexOf(name);
            if (i < 0)
            {
                i = Array.FindIndex(stream.Channels.ToArray(), c => string.Equals(c.Trim('.'), name, StringComparison.OrdinalIgnoreCase));
            }

            if (i >= 0 && !indices.Contains(i))
            {
                indices.Add(i);
                names.Add(stream.Channels[i]);
            }
        }

        _indices = indices.ToArray();
        Names = names;
        bool sameRate = designs.Concat(bank).Any() && designs.Concat(bank).All(d => d.SampleRateHz.Equals(stream.SampleRateHz));
        int width = Math.Max(1, _indices.Length);
        _filters = sameRate ? designs.Select(d => new SosFilter(d, width)).ToArray() : [];
        _bank = sameRate ? bank.Select(d => new SosFilter(d, width)).ToArray() : [];
        Filtered = sameRate;
        Description = Filtered ? filterDescription : !designs.Concat(bank).Any() ? "raw (the pipeline has no filter)" : $"raw (the stream's {stream.SampleRateHz:0.##} Hz is not the pipeline's rate)";
        _thin = Math.Max(1, (int)Math.Ceiling(stream.SampleRateHz / MaxDisplayHz));
        RateHz = stream.SampleRateHz / _thin;
        int capacity = (int)Math.Ceiling(Seconds * RateHz);
        _ring = _indices.Select(_ => new float[capacity]).ToArray();
        _row = new double[width];
        _band = new double[width];
    }

    /// <summary>The channels shown (those of the wanted ones the stream has).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Whether the trace is filtered.</summary>
    public bool Filtered { get; }

    /// <summary>What the trace is (the filter, or why it is raw).</summary>
    public string Description { get; }

    /// <summary>Rate of the trace, Hz.</summary>
    public double RateHz { get; }

    /// <summary>Stream time of the last trace sample, seconds.</summary>
    public double EndSeconds { get; private set; }

    /// <summary>Adds a chunk (sample-major, all stream channels).</summary>
    public void Add(ReadOnlySpan<float> samples, int channels, int count, long firstIndex, double sampleRateHz)
    {
        if (_indices.Length == 0)
        {
            return;
        }

        if (_expected >= 0 && firstIndex != _expected)
        {
            Restart();
            Append(float.NaN);
        }

        _expected = firstIndex + count;
        for (int s = 0; s < count; s++)
        {
            bool finite = true;
            for (int k = 0; k < _indices.Length; k++)
            {
                double x = samples[(s * channels) + _indices[k]];
                finite &= double.IsFinite(x);
                _row[k] = x;
            }

            if (!finite)
            {
                Restart();
                Array.Fill(_row, double.NaN);
            }
            else
            {
                foreach (var filter in _filters)
                {
                    filter.Process(_row, 1);
                }

                if (_bank.Length > 0)
                {
                    SumOfBands();
                }
            }

            if (++_phase >= _thin)
            {
                _phase = 0;
                for (int k = 0; k < _indices.Length; k++)
                {
                    _ring[k][_next] = (float)_row[k];
                }

                _next = (_next + 1) % _ring[0].Length;
                _count = Math.Min(_ring[0].Length, _count + 1);
            }
        }

        EndSeconds = (_expected - 1) / sampleRateHz;
    }

    /// <summary>Samples held.</summary>
    public int Count => _count;

    /// <summary>The held trace of channel <paramref name="k"/>, oldest first, into <paramref name="destination"/> (length ≥ <see cref="Count"/>).</summary>
    public void CopyTo(int k, Span<float> destination)
    {
        var ring = _ring[k];
        int start = (_next - _count + ring.Length) % ring.Length;
        for (int i = 0; i < _count; i++)
        {
            destination[i] = ring[(start + i) % ring.Length];
        }
    }

    private void SumOfBands()
    {
        Span<double> sum = stackalloc double[_row.Length];
        foreach (var band in _bank)
        {
            _row.CopyTo(_band, 0);
            band.Process(_band, 1);
            for (int k = 0; k < sum.Length; k++)
            {
                sum[k] += _band[k];
            }
        }

        sum.CopyTo(_row);
    }

    private void Append(float value)
    {
        for (int k = 0; k < _indices.Length; k++)
        {
            _ring[k][_next] = value;
        }

        _next = (_next + 1) % _ring[0].Length;
        _count = Math.Min(_ring[0].Length, _count + 1);
    }

    private void Restart()
    {
        foreach (var filter in _filters.Concat(_bank))
        {
            filter.Reset();
        }
    }
}
