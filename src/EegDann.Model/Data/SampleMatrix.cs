namespace EegDann.Model;

/// <summary>
/// A batch of network inputs in one flat, row-major <see cref="float"/> array: <see cref="Count"/>
/// samples, each of shape <see cref="SampleShape"/> — <c>[features]</c> for feature vectors (the MLP
/// extractor, the only one) or <c>[channels, samples]</c>, a shape the format keeps although no
/// extractor reads it since the convolutional extractor was removed (issue 12).
/// </summary>
/// <remarks>The array is not copied: do not change it while a trainer or predictor uses it.</remarks>
public sealed class SampleMatrix
{
    /// <summary>Wraps <paramref name="values"/> (row-major, sample after sample).</summary>
    /// <param name="values">Count × product(sampleShape) values.</param>
    /// <param name="count">Number of samples, ≥ 0.</param>
    /// <param name="sampleShape">The shape of one sample: one or two positive sizes.</param>
    /// <exception cref="ArgumentException">When the sizes do not fit the array.</exception>
    public SampleMatrix(float[] values, int count, params int[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Length is < 1 or > 2 || sampleShape.Any(s => s <= 0))
        {
            throw new ArgumentException($"A sample shape is [features] or [channels, samples] with positive sizes, got [{string.Join(", ", sampleShape)}].", nameof(sampleShape));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(count);
        long size = sampleShape.Aggregate(1L, (a, b) => a * b);
        if (values.LongLength != size * count)
        {
            throw new ArgumentException($"{values.Length} values do not make {count} samples of shape [{string.Join(", ", sampleShape)}] ({size * count} values).", nameof(values));
        }

        Values = values;
        Count = count;
        SampleShape = sampleShape.ToArray();
        SampleSize = (int)size;
    }

    /// <summary>The values, row-major: sample <c>i</c> occupies <c>[i·SampleSize, (i+1)·SampleSize)</c>.</summary>
    public float[] Values { get; }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>The shape of one sample: <c>[features]</c> or <c>[channels, samples]</c>.</summary>
    public IReadOnlyList<int> SampleShape { get; }

    /// <summary>Number of values per sample.</summary>
    public int SampleSize { get; }

    /// <summary>The values of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Sample(int index) => Values.AsSpan(index * SampleSize, SampleSize);

    /// <summary>Feature vectors, one row per sample (all rows the same length).</summary>
    /// <exception cref="ArgumentException">When the rows are empty or ragged.</exception>
    public static SampleMatrix FromRows(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("There are no rows.", nameof(rows));
        }

        int width = rows[0].Length;
        var values = new float[(long)rows.Count * width];
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != width)
            {
                throw new ArgumentException($"Row {i} has {rows[i].Length} values, row 0 has {width}.", nameof(rows));
            }

            rows[i].CopyTo(values, (long)i * width);
        }

        return new SampleMatrix(values, rows.Count, width);
    }

    /// <summary>Windows of raw signal, each <c>[channel][sample]</c>, all of the same size.</summary>
    /// <exception cref="ArgumentException">When the windows are empty or differ in size.</exception>
    public static SampleMatrix FromWindows(IReadOnlyList<float[][]> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (windows.Count == 0 || windows[0].Length == 0)
        {
            throw new ArgumentException("There are no windows (or no channels).", nameof(windows));
        }

        int channels = windows[0].Length, length = windows[0][0].Length;
        var values = new float[(long)windows.Count * channels * length];
        long offset = 0;
        for (int i = 0; i < windows.Count; i++)
        {
            if (windows[i].Length != channels)
            {
                throw new ArgumentException($"Window {i} has {windows[i].Length} channels, window 0 has {channels}.", nameof(windows));
            }

            for (int c = 0; c < channels; c++)
            {
                if (windows[i][c].Length != length)
                {
                    throw new ArgumentException($"Window {i}, channel {c} has {windows[i][c].Length} samples, window 0 has {length}.", nameof(windows));
                }

                windows[i][c].CopyTo(values, offset);
                offset += length;
            }
        }

        return new SampleMatrix(values, windows.Count, channels, length);
    }

    /// <summary>The samples at <paramref name="indices"/>, copied, in that order.</summary>
    public SampleMatrix Select(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var values = new float[(long)indices.Count * SampleSize];
        for (int i = 0; i < indices.Count; i++)
        {
            Sample(indices[i]).CopyTo(values.AsSpan(i * SampleSize, SampleSize));
        }

        return new SampleMatrix(values, indices.Count, [.. SampleShape]);
    }

    /// <summary>This matrix followed by <paramref name="other"/> (same sample shape).</summary>
    /// <exception cref="ArgumentException">When the sample shapes differ.</exception>
    public SampleMatrix Concat(SampleMatrix other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!SampleShape.SequenceEqual(other.SampleShape))
        {
            throw new ArgumentException($"Sample shapes differ: [{string.Join(", ", SampleShape)}] and [{string.Join(", ", other.SampleShape)}].", nameof(other));
        }

        return new SampleMatrix([.. Values, .. other.Values], Count + other.Count, [.. SampleShape]);
    }

    /// <summary>Where the values are not finite: the number of NaN/±∞ values and the first one's sample and offset.</summary>
    public (int Count, int FirstSample, int FirstOffset) FindNonFinite()
    {
        int count = 0, firstSample = -1, firstOffset = -1;
        var values = Values;
        for (long i = 0; i < values.LongLength; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                if (count++ == 0)
                {
                    firstSample = (int)(i / SampleSize);
                    firstOffset = (int)(i % SampleSize);
                }
            }
        }

        return (count, firstSample, firstOffset);
    }
}
