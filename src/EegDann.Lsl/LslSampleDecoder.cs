using System.Buffers.Binary;
using System.Text;

namespace EegDann.Lsl;

/// <summary>
/// Decodes protocol-1.10 samples from the bytes of a stream feed: a tag (1 deduced time stamp,
/// 2 transmitted), an 8-byte time stamp when transmitted, then the channel values in the
/// negotiated byte order (strings: a width byte 1/2/4/8, the length, the bytes). Incremental: a
/// sample split across reads is decoded once all of it is there.
/// </summary>
/// <remarks>
/// Deduced stamps follow liblsl's data receiver: <c>last + 1/srate</c> (<c>last</c> for irregular
/// streams), with <c>last</c> starting at 0 on each connection; samples before the first
/// transmitted stamp are flagged (<see cref="TimestampKnown"/> false), since their times count
/// from 0 (sccn/liblsl#161). Subnormal suppression, when negotiated, zeroes a float's magnitude
/// and keeps its sign, as liblsl does.
/// </remarks>
public sealed class LslSampleDecoder
{
    /// <summary>The longest string value accepted, bytes (a larger length is treated as a corrupt stream).</summary>
    public const int MaxStringBytes = 16 << 20;

    private readonly LslChannelFormat _format;
    private readonly int _channels;
    private readonly double _period;
    private readonly bool _bigEndian;
    private readonly bool _suppressSubnormals;
    private readonly int _width;

    /// <summary>Creates a decoder for one connection.</summary>
    /// <param name="format">The stream's channel format.</param>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="nominalSrate">The nominal rate, Hz (0: irregular).</param>
    /// <param name="bigEndian">Whether values arrive big-endian (the negotiated <c>Byte-Order: 4321</c>).</param>
    /// <param name="suppressSubnormals">Whether subnormal floats are zeroed (the negotiated <c>Suppress-Subnormals: 1</c>).</param>
    public LslSampleDecoder(LslChannelFormat format, int channels, double nominalSrate, bool bigEndian, bool suppressSubnormals = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        _format = format;
        _channels = channels;
        _period = nominalSrate > 0 ? 1.0 / nominalSrate : 0.0;
        _bigEndian = bigEndian;
        _suppressSubnormals = suppressSubnormals;
        _width = format.Width();
    }

    /// <summary>The time stamp of the last decoded sample (0 before the first), outlet clock, seconds.</summary>
    public double LastTimestamp { get; set; }

    /// <summary>Whether a transmitted time stamp has been seen on this connection (before that, deduced stamps count from 0).</summary>
    public bool TimestampKnown { get; set; }

    /// <summary>Channels per sample.</summary>
    public int ChannelCount => _channels;

    /// <summary>
    /// Decodes one sample from the start of <paramref name="data"/>.
    /// </summary>
    /// <param name="data">Received bytes not yet decoded.</param>
    /// <param name="numeric">Receives the values of a numeric stream (length ≥ channels); ignored for strings.</param>
    /// <param name="strings">Receives the values of a string stream (length ≥ channels); ignored for numeric streams.</param>
    /// <param name="timestamp">The sample's time stamp (transmitted or deduced), outlet clock.</param>
    /// <param name="transmitted">Whether the stamp was on the wire.</param>
    /// <returns>Bytes consumed; 0 when <paramref name="data"/> does not yet hold a whole sample.</returns>
    /// <exception cref="LslProtocolException">When the bytes cannot be a sample (an unknown tag, an invalid string length).</exception>
    public int TryDecode(ReadOnlySpan<byte> data, Span<double> numeric, string[]? strings, out double timestamp, out bool transmitted)
    {
        timestamp = 0;
        transmitted = false;
        if (data.Length < 1)
        {
            return 0;
        }

        int pos = 1;
        byte tag = data[0];
        if (tag == 2)
        {
            if (data.Length < 9)
            {
                return 0;
            }

            timestamp = ReadDouble(data.Slice(1, 8));
            transmitted = true;
            pos = 9;
        }
        else if (tag != 1)
        {
            throw new LslProtocolException($"corrupt stream: a sample starts with tag {tag} (expected 1 or 2)");
        }

        if (_format == LslChannelFormat.String)
        {
            ArgumentNullException.ThrowIfNull(strings);
            for (int c = 0; c < _channels; c++)
            {
                if (data.Length < pos + 1)
                {
                    return 0;
                }

                int lengthWidth = data[pos];
                if (lengthWidth is not (1 or 2 or 4 or 8))
                {
                    throw new LslProtocolException($"corrupt stream: a string's length has width {lengthWidth} (expected 1, 2, 4 or 8)");
                }

                if (data.Length < pos + 1 + lengthWidth)
                {
                    return 0;
                }

                ulong length = ReadUnsigned(data.Slice(pos + 1, lengthWidth));
                if (length > MaxStringBytes)
                {
                    throw new LslProtocolException($"corrupt stream: a string of {length} bytes (more than {MaxStringBytes})");
                }

                int start = pos + 1 + lengthWidth;
                if (data.Length < start + (int)length)
                {
                    return 0;
                }

                strings[c] = Encoding.UTF8.GetString(data.Slice(start, (int)length));
                pos = start + (int)length;
            }
        }
        else
        {
            int bytes = _width * _channels;
            if (data.Length < pos + bytes)
            {
                return 0;
            }

            if (numeric.Length < _channels)
            {
                throw new ArgumentException($"room for {_channels} values is needed", nameof(numeric));
            }

            var values = data.Slice(pos, bytes);
            for (int c = 0; c < _channels; c++)
            {
                numeric[c] = ReadValue(values.Slice(c * _width, _width));
            }

            pos += bytes;
        }

        if (transmitted)
        {
            TimestampKnown = true;
        }
        else
        {
            timestamp = LastTimestamp + _period;
        }

        LastTimestamp = timestamp;
        return pos;
    }

    private double ReadValue(ReadOnlySpan<byte> b) => _format switch
    {
        LslChannelFormat.Float32 => ReadFloat(b),
        LslChannelFormat.Double64 => ReadDouble(b),
        LslChannelFormat.Int8 => (sbyte)b[0],
        LslChannelFormat.Int16 => _bigEndian ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b),
        LslChannelFormat.Int32 => _bigEndian ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b),
        LslChannelFormat.Int64 => _bigEndian ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b),
        _ => throw new InvalidOperationException("not a numeric format"),
    };

    private double ReadFloat(ReadOnlySpan<byte> b)
    {
        uint bits = _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
        if (_suppressSubnormals && bits != 0 && (bits & 0x7fffffffu) <= 0x007fffffu)
        {
            bits &= 0x80000000u;
        }

        return BitConverter.UInt32BitsToSingle(bits);
    }

    private double ReadDouble(ReadOnlySpan<byte> b)
    {
        ulong bits = _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);
        if (_suppressSubnormals && _format == LslChannelFormat.Double64 && bits != 0 && (bits & 0x7fffffffffffffffUL) <= 0x000fffffffffffffUL)
        {
            bits &= 0x8000000000000000UL;
        }

        return BitConverter.UInt64BitsToDouble(bits);
    }

    private ulong ReadUnsigned(ReadOnlySpan<byte> b) => b.Length switch
    {
        1 => b[0],
        2 => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b),
        4 => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b),
        _ => _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b),
    };
}
