namespace EegDann.Core;

/// <summary>
/// What a stream of EEG samples is: its sample rate and its channels, in order.
/// </summary>
public sealed record SignalInfo
{
    /// <summary>Creates a description, checking every field and listing all problems at once.</summary>
    /// <param name="sampleRateHz">Samples per second per channel, finite and &gt; 0.</param>
    /// <param name="channels">Channel labels, non-empty, unique (ordinal, case-sensitive), in stream order.</param>
    /// <exception cref="ArgumentException">When the rate or the channel list is not valid.</exception>
    public SignalInfo(double sampleRateHz, IReadOnlyList<string> channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        var problems = new List<string>();
        if (!double.IsFinite(sampleRateHz) || sampleRateHz <= 0)
        {
            problems.Add($"sample rate must be a positive number of Hz, got {sampleRateHz}");
        }

        if (channels.Count == 0)
        {
            problems.Add("there must be at least one channel");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var channel in channels)
        {
            if (string.IsNullOrWhiteSpace(channel))
            {
                problems.Add("a channel label is empty");
            }
            else if (!seen.Add(channel))
            {
                problems.Add($"channel '{channel}' appears more than once");
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid signal description: " + string.Join("; ", problems) + ".");
        }

        SampleRateHz = sampleRateHz;
        Channels = channels.ToArray();
    }

    /// <summary>Samples per second per channel (Hz).</summary>
    public double SampleRateHz { get; }

    /// <summary>Channel labels in stream order.</summary>
    public IReadOnlyList<string> Channels { get; }

    /// <summary>Number of channels.</summary>
    public int ChannelCount => Channels.Count;

    /// <summary>The index of a channel by label, or -1.</summary>
    public int IndexOf(string channel)
    {
        for (int i = 0; i < Channels.Count; i++)
        {
            if (string.Equals(Channels[i], channel, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <inheritdoc />
    public bool Equals(SignalInfo? other) =>
        other is not null && SampleRateHz.Equals(other.SampleRateHz) && Channels.SequenceEqual(other.Channels, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(SampleRateHz);
        foreach (var channel in Channels)
        {
            hash.Add(channel, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => $"{SampleRateHz} Hz, {ChannelCount} channels";
}
