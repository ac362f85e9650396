using System.Diagnostics;
using System.Runtime.CompilerServices;
using EegDann.Core;
using EegDann.Daemon.Options;

namespace EegDann.Daemon.Acquisition;

/// <summary>
/// A synthetic motor-imagery-like stream for demos and soak tests: Gaussian background noise
/// plus a 10 Hz mu rhythm on every channel; imagining a hand weakens the mu rhythm over the
/// opposite hemisphere (event-related desynchronisation: left hand → channels with an even
/// number, e.g. C4; right hand → odd, e.g. C3). The schedule cycles rest, left, rest, right, each
/// <see cref="SyntheticSourceOptions.ClassSeconds"/> long. Deterministic for a seed.
/// </summary>
public sealed class SyntheticSource : ISampleSource
{
    private const double MuHz = 10.0;
    private const double Desynchronised = 0.3;
    private readonly SyntheticSourceOptions _options;
    private readonly SignalInfo _info;
    private readonly int[] _hemisphere;

    /// <summary>Creates the source.</summary>
    /// <param name="options">Rate, pace, schedule, amplitudes.</param>
    /// <param name="channels">Channel labels (the options' when given, else the model's).</param>
    public SyntheticSource(SyntheticSourceOptions options, IReadOnlyList<string> channels)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _info = new SignalInfo(options.SampleRateHz, options.Channels.Count > 0 ? options.Channels : channels);
        _hemisphere = _info.Channels.Select(Hemisphere).ToArray();
    }

    /// <inheritdoc />
    public string Name => $"synthetic {_info} " + (_options.Speed > 0 ? $"×{_options.Speed:G4}" : "as fast as possible");

    /// <inheritdoc />
    public SourcePacing Pacing => _options.Speed > 0 ? SourcePacing.Live : SourcePacing.Unpaced;

    /// <summary>The imagined class at a sample: <c>rest</c>, <c>left</c> or <c>right</c>.</summary>
    public string ClassAt(long sample)
    {
        long phase = (long)Math.Floor(sample / (_options.ClassSeconds * _info.SampleRateHz)) % 4;
        return phase switch { 1 => "left", 3 => "right", _ => "rest" };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new StreamStarted(new StreamDescription(_info, "synthetic", null, new Dictionary<string, string> { ["seed"] = _options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        var random = new Random(_options.Seed);
        int c = _info.ChannelCount;
        double fs = _info.SampleRateHz;
        var phases = Enumerable.Range(0, c).Select(_ => random.NextDouble() * 2 * Math.PI).ToArray();
        long total = _options.DurationSeconds > 0 ? (long)Math.Round(_options.DurationSeconds * fs) : long.MaxValue;
        double ticksPerSample = _options.Speed > 0 ? Stopwatch.Frequency / (fs * _options.Speed) : 0;
        long start = Stopwatch.GetTimestamp();
        for (long first = 0; first < total && !cancellationToken.IsCancellationRequested; first += _options.ChunkSamples)
        {
            int n = (int)Math.Min(_options.ChunkSamples, total - first);
            var values = new float[n * c];
            for (int s = 0; s < n; s++)
            {
                long index = first + s;
                string imagined = ClassAt(index);
                double t = index / fs;
                for (int ch = 0; ch < c; ch++)
                {
                    double mu = _options.MuMicrovolts;
                    if ((imagined == "left" && _hemisphere[ch] > 0) || (imagined == "right" && _hemisphere[ch] < 0))
                    {
                        mu *= Desynchronised;
                    }

                    values[(s * c) + ch] = (float)((mu * Math.Sin((2 * Math.PI * MuHz * t) + phases[ch])) + (_options.NoiseMicrovolts * Gaussian(random)));
                }
            }

            if (ticksPerSample > 0)
            {
                long remaining = start + (long)((first + n) * ticksPerSample) - Stopwatch.GetTimestamp();
                if (remaining > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency), cancellationToken);
                }
            }

            yield return new ChunkArrived(new SampleChunk(first, c, n, values), Stopwatch.GetTimestamp());
        }

        yield return new StreamStopped("the synthetic stream ended");
    }

    /// <summary>+1 for the right hemisphere (even electrode number, e.g. C4), −1 for the left (odd, e.g. C3), 0 for the midline.</summary>
    internal static int Hemisphere(string label)
    {
        char last = label.Length > 0 ? label[^1] : 'z';
        return char.IsAsciiDigit(last) ? ((last - '0') % 2 == 0 ? 1 : -1) : 0;
    }

    private static double Gaussian(Random random)
    {
        // Box-Muller.
        double u = 1.0 - random.NextDouble();
        double v = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v);
    }
}
