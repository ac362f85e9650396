namespace EegDann.Core;

/// <summary>
/// The epochs of one subject (from one or more recordings), all with the same channels, rate and
/// length: what calibration and alignment work on.
/// </summary>
public sealed class EpochSet
{
    /// <summary>Groups epochs after checking that they share subject and shape.</summary>
    /// <param name="subject">The subject every epoch belongs to.</param>
    /// <param name="info">Channels and sample rate of every epoch.</param>
    /// <param name="epochs">Epochs in recording order; may be empty.</param>
    /// <exception cref="ArgumentException">When an epoch has another subject, channel count or length.</exception>
    public EpochSet(string subject, SignalInfo info, IReadOnlyList<Epoch> epochs)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(epochs);
        int length = epochs.Count == 0 ? 0 : epochs[0].SampleCount;
        foreach (var epoch in epochs)
        {
            if (!string.Equals(epoch.Info.Subject, subject, StringComparison.Ordinal))
            {
                throw new ArgumentException($"epoch of {epoch.Info.Recording} at sample {epoch.Info.StartSample} belongs to subject '{epoch.Info.Subject}', not '{subject}'.", nameof(epochs));
            }

            if (epoch.ChannelCount != info.ChannelCount || epoch.SampleCount != length)
            {
                throw new ArgumentException(
                    $"epoch of {epoch.Info.Recording} at sample {epoch.Info.StartSample} is {epoch.ChannelCount}×{epoch.SampleCount}, expected {info.ChannelCount}×{length}.",
                    nameof(epochs));
            }
        }

        Subject = subject;
        Info = info;
        Epochs = epochs;
    }

    /// <summary>The subject.</summary>
    public string Subject { get; }

    /// <summary>Channels and sample rate.</summary>
    public SignalInfo Info { get; }

    /// <summary>The epochs.</summary>
    public IReadOnlyList<Epoch> Epochs { get; }

    /// <summary>Number of epochs.</summary>
    public int Count => Epochs.Count;

    /// <summary>Samples per epoch (0 when empty).</summary>
    public int SampleCount => Epochs.Count == 0 ? 0 : Epochs[0].SampleCount;

    /// <summary>The epochs of several sets of the same subject, in order.</summary>
    public static EpochSet Concat(IReadOnlyList<EpochSet> sets)
    {
        ArgumentNullException.ThrowIfNull(sets);
        if (sets.Count == 0)
        {
            throw new ArgumentException("no epoch sets to join.", nameof(sets));
        }

        return new EpochSet(sets[0].Subject, sets[0].Info, sets.SelectMany(s => s.Epochs).ToArray());
    }
}
