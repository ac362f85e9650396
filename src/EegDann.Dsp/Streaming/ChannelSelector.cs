using EegDann.Core;

namespace EegDann.Dsp.Streaming;

/// <summary>
/// Picks and orders a stream's channels by name into the order a pipeline works in, converting
/// float32 µV to double: source and target recordings may list their channels differently.
/// </summary>
/// <remarks>
/// Names match exactly first; otherwise ignoring case (10–20 labels are written <c>FC5</c> by some
/// systems and <c>Fc5</c> by others), provided that is unambiguous.
/// </remarks>
public sealed class ChannelSelector
{
    private readonly int[] _sourceIndex;

    /// <summary>Maps <paramref name="source"/>'s channels onto <paramref name="wanted"/>.</summary>
    /// <param name="source">What the stream delivers.</param>
    /// <param name="wanted">The channels the pipeline needs, in its order.</param>
    /// <exception cref="ChannelMismatchException">When any wanted channel is missing or ambiguous; the message names every one.</exception>
    public ChannelSelector(SignalInfo source, IReadOnlyList<string> wanted)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(wanted);
        var missing = new List<string>();
        var ambiguous = new List<string>();
        _sourceIndex = new int[wanted.Count];
        for (int i = 0; i < wanted.Count; i++)
        {
            int index = source.IndexOf(wanted[i]);
            if (index < 0)
            {
                var matches = Enumerable.Range(0, source.ChannelCount)
                    .Where(c => string.Equals(source.Channels[c], wanted[i], StringComparison.OrdinalIgnoreCase))
                    .ToArray();
                if (matches.Length == 1)
                {
                    index = matches[0];
                }
                else if (matches.Length > 1)
                {
                    ambiguous.Add(wanted[i]);
                }
                else
                {
                    missing.Add(wanted[i]);
                }
            }

            _sourceIndex[i] = index;
        }

        if (missing.Count > 0 || ambiguous.Count > 0)
        {
            throw new ChannelMismatchException(missing, ambiguous, source.Channels);
        }

        SourceChannelCount = source.ChannelCount;
        ChannelCount = wanted.Count;
    }

    /// <summary>Channels per sample in the source stream.</summary>
    public int SourceChannelCount { get; }

    /// <summary>Channels per sample after selection.</summary>
    public int ChannelCount { get; }

    /// <summary>Copies the wanted channels of <paramref name="sampleCount"/> samples into <paramref name="destination"/>.</summary>
    /// <param name="source">Sample-major source values (µV).</param>
    /// <param name="sampleCount">Samples to copy.</param>
    /// <param name="destination">Sample-major, at least <paramref name="sampleCount"/> × <see cref="ChannelCount"/> long.</param>
    public void Select(ReadOnlySpan<float> source, int sampleCount, Span<double> destination)
    {
        int inC = SourceChannelCount, outC = ChannelCount;
        for (int n = 0; n < sampleCount; n++)
        {
            var from = source.Slice(n * inC, inC);
            var to = destination.Slice(n * outC, outC);
            for (int c = 0; c < outC; c++)
            {
                to[c] = from[_sourceIndex[c]];
            }
        }
    }
}

/// <summary>A stream or recording lacks channels a pipeline or model needs.</summary>
public sealed class ChannelMismatchException : ArgumentException
{
    /// <summary>Creates the exception with a message naming every missing and ambiguous channel.</summary>
    public ChannelMismatchException(IReadOnlyList<string> missing, IReadOnlyList<string> ambiguous, IReadOnlyList<string> available)
        : base(Describe(missing, ambiguous, available))
    {
        Missing = missing;
        Ambiguous = ambiguous;
    }

    /// <summary>Needed channels that are not there.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Needed channels that match several channels when case is ignored.</summary>
    public IReadOnlyList<string> Ambiguous { get; }

    private static string Describe(IReadOnlyList<string> missing, IReadOnlyList<string> ambiguous, IReadOnlyList<string> available)
    {
        var parts = new List<string>();
        if (missing.Count > 0)
        {
            parts.Add($"missing channel{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}");
        }

        if (ambiguous.Count > 0)
        {
            parts.Add($"ambiguous channel{(ambiguous.Count > 1 ? "s" : "")} {string.Join(", ", ambiguous)} (several differ only by case)");
        }

        return $"{string.Join("; ", parts)}; the signal has {available.Count} channels: {string.Join(", ", available.Take(80))}{(available.Count > 80 ? ", …" : "")}.";
    }
}
