using System.Buffers.Binary;
using System.Text;

namespace EegDann.Recordings.Tests.Support;

/// <summary>
/// Writes XDF files chunk by chunk per the XDF 1.0 specification, so tests can cover value formats,
/// length widths and damage the shared files do not show.
/// </summary>
public sealed class SyntheticXdf : IDisposable
{
    private readonly MemoryStream _bytes = new();

    public SyntheticXdf(bool magic = true)
    {
        if (magic)
        {
            _bytes.Write("XDF:"u8);
        }
    }

    /// <summary>Width of every chunk's length field (1, 4 or 8).</summary>
    public int LengthWidth { get; set; } = 4;

    public SyntheticXdf FileHeader() => Chunk(1, Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><info><version>1.0</version></info>"));

    public SyntheticXdf StreamHeader(uint id, string name, string type, int channels, double rate, string format, string desc = "") =>
        Chunk(2, Id(id, Encoding.UTF8.GetBytes(
            $"<?xml version=\"1.0\"?><info><name>{name}</name><type>{type}</type><channel_count>{channels}</channel_count>" +
            $"<nominal_srate>{rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}</nominal_srate><channel_format>{format}</channel_format><desc>{desc}</desc></info>")));

    /// <summary>A Samples chunk; each sample is (timestamp or null to deduce it, values as objects of the stream's format).</summary>
    public SyntheticXdf Samples(uint id, string format, params (double? Stamp, object[] Values)[] samples)
    {
        var body = new MemoryStream();
        VarLen(body, (ulong)samples.Length, 4);
        Span<byte> b8 = stackalloc byte[8];
        foreach (var (stamp, values) in samples)
        {
            if (stamp is { } t)
            {
                body.WriteByte(8);
                BinaryPrimitives.WriteDoubleLittleEndian(b8, t);
                body.Write(b8);
            }
            else
            {
                body.WriteByte(0);
            }

            foreach (var v in values)
            {
                switch (format)
                {
                    case "int8": body.WriteByte((byte)(sbyte)v); break;
                    case "int16": BinaryPrimitives.WriteInt16LittleEndian(b8, (short)v); body.Write(b8[..2]); break;
                    case "int32": BinaryPrimitives.WriteInt32LittleEndian(b8, (int)v); body.Write(b8[..4]); break;
                    case "int64": BinaryPrimitives.WriteInt64LittleEndian(b8, (long)v); body.Write(b8); break;
                    case "float32": BinaryPrimitives.WriteSingleLittleEndian(b8, (float)v); body.Write(b8[..4]); break;
                    case "double64": BinaryPrimitives.WriteDoubleLittleEndian(b8, (double)v); body.Write(b8); break;
                    default:
                        var text = Encoding.UTF8.GetBytes((string)v);
                        VarLen(body, (ulong)text.Length, text.Length < 200 ? 1 : 8);
                        body.Write(text);
                        break;
                }
            }
        }

        return Chunk(3, Id(id, body.ToArray()));
    }

    public SyntheticXdf ClockOffset(uint id, double time, double value)
    {
        var body = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(body, time);
        BinaryPrimitives.WriteDoubleLittleEndian(body.AsSpan(8), value);
        return Chunk(4, Id(id, body));
    }

    public SyntheticXdf Boundary() => Chunk(5, new byte[16]);

    public SyntheticXdf StreamFooter(uint id) => Chunk(6, Id(id, Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><info><sample_count>0</sample_count></info>")));

    public SyntheticXdf Chunk(ushort tag, byte[] content)
    {
        VarLen(_bytes, (ulong)(content.Length + 2), LengthWidth);
        Span<byte> t = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(t, tag);
        _bytes.Write(t);
        _bytes.Write(content);
        return this;
    }

    public byte[] Build() => _bytes.ToArray();

    public void Dispose() => _bytes.Dispose();

    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, Build());
        return path;
    }

    private static byte[] Id(uint id, byte[] rest)
    {
        var result = new byte[4 + rest.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(result, id);
        rest.CopyTo(result, 4);
        return result;
    }

    private static void VarLen(Stream s, ulong value, int width)
    {
        s.WriteByte((byte)width);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        s.Write(b[..width]);
    }
}
