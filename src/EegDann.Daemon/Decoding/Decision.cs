using System.Collections;
using System.Runtime.CompilerServices;
using EegDann.Daemon.Monitoring;

namespace EegDann.Daemon.Decoding;

/// <summary>
/// One decision for the control output: a value, so that deciding a window allocates nothing (its
/// probabilities are held inline up to <see cref="ClassProbabilities.InlineClasses"/> classes).
/// </summary>
/// <param name="Command">A class name, or <c>none</c>.</param>
/// <param name="ClassNames">The model's classes.</param>
/// <param name="Probabilities">The smoothed class probabilities in class order (empty for a fail-safe).</param>
/// <param name="TimeMilliseconds">Time of the window's last sample, ms since the stream's sample 0.</param>
/// <param name="ArrivalTimestamp">When the window's last sample arrived (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</param>
/// <param name="ModelId">The model's id (empty before any model).</param>
/// <param name="Reason">Why the command is forced to <c>none</c>, or <see cref="FailSafeReason.None"/>.</param>
/// <param name="MeasuresLatency">Whether the latency is a data latency (false for stale heartbeats, which have no window).</param>
public readonly record struct Decision(
    string Command,
    IReadOnlyList<string> ClassNames,
    ClassProbabilities Probabilities,
    double TimeMilliseconds,
    long ArrivalTimestamp,
    string ModelId,
    FailSafeReason Reason,
    bool MeasuresLatency)
{
    /// <summary>The command of every fail-safe and of low confidence.</summary>
    public const string NoCommand = "none";
}

/// <summary>
/// A decision's class probabilities, immutable: up to <see cref="InlineClasses"/> values held in the
/// value itself (no allocation), more in an array of their own. A collection expression makes one.
/// </summary>
[CollectionBuilder(typeof(ClassProbabilities), nameof(From))]
public readonly struct ClassProbabilities : IReadOnlyList<float>, IEquatable<ClassProbabilities>
{
    /// <summary>How many classes are held without an array.</summary>
    public const int InlineClasses = 8;

    private readonly Inline _inline;
    private readonly float[]? _array;
    private readonly int _length;

    private ClassProbabilities(in Inline values, float[]? array, int length)
    {
        _inline = values;
        _array = array;
        _length = length;
    }

    /// <summary>No probabilities (a fail-safe).</summary>
    public static ClassProbabilities Empty => default;

    /// <summary>A copy of <paramref name="values"/>.</summary>
    public static ClassProbabilities From(ReadOnlySpan<float> values)
    {
        if (values.Length > InlineClasses)
        {
            return new ClassProbabilities(default, values.ToArray(), values.Length);
        }

        var inline = default(Inline);
        values.CopyTo(inline);
        return new ClassProbabilities(inline, null, values.Length);
    }

    /// <summary><paramref name="values"/> rounded to float.</summary>
    public static ClassProbabilities From(ReadOnlySpan<double> values)
    {
        var array = values.Length > InlineClasses ? new float[values.Length] : null;
        var inline = default(Inline);
        Span<float> target = array ?? ((Span<float>)inline)[..values.Length];
        for (int k = 0; k < values.Length; k++)
        {
            target[k] = (float)values[k];
        }

        return new ClassProbabilities(inline, array, values.Length);
    }

    /// <summary>Number of classes (0 for a fail-safe).</summary>
    public int Length => _length;

    /// <inheritdoc />
    public int Count => _length;

    /// <inheritdoc />
    public float this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _length);
            return _array != null ? _array[index] : _inline[index];
        }
    }

    /// <summary>The values as a new array.</summary>
    public float[] ToArray()
    {
        var values = new float[_length];
        for (int k = 0; k < values.Length; k++)
        {
            values[k] = this[k];
        }

        return values;
    }

    /// <inheritdoc />
    public bool Equals(ClassProbabilities other)
    {
        if (_length != other._length)
        {
            return false;
        }

        for (int k = 0; k < _length; k++)
        {
            if (!this[k].Equals(other[k]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether both hold the same values.</summary>
    public static bool operator ==(ClassProbabilities left, ClassProbabilities right) => left.Equals(right);

    /// <summary>Whether the values differ.</summary>
    public static bool operator !=(ClassProbabilities left, ClassProbabilities right) => !left.Equals(right);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ClassProbabilities other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        for (int k = 0; k < _length; k++)
        {
            hash.Add(this[k]);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public IEnumerator<float> GetEnumerator()
    {
        for (int k = 0; k < _length; k++)
        {
            yield return this[k];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => "[" + string.Join(", ", ToArray()) + "]";

    /// <summary>The inline storage.</summary>
    [InlineArray(InlineClasses)]
    private struct Inline
    {
        private float _element;
    }
}
