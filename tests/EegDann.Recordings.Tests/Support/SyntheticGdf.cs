using System.Buffers.Binary;
using System.Text;

namespace EegDann.Recordings.Tests.Support;

/// <summary>
/// Writes small GDF 2.x files per the specification (Schlögl, GDF v2): 256-byte fixed header,
/// 256 bytes per channel of variable header (field by field), int16 data records, and an event
/// table (mode 1 or 3), the layout of the BCI Competition IV files.
/// </summary>
public sealed class SyntheticGdf
{
    public string Version { get; init; } = "GDF 2.10";

    public string PatientId { get; init; } = "X";

    public int SampleRate { get; init; } = 250;

    /// <summary>Channel labels, int16 digital data [channel][sample], and the GDF dimension code (4275 = µV, 4274 = mV).</summary>
    public List<(string Label, short[] Digital, ushort DimensionCode)> Channels { get; } = [];

    public double PhysicalMin { get; init; } = -100;

    public double PhysicalMax { get; init; } = 100;

    public double DigitalMin { get; init; } = -32768;

    public double DigitalMax { get; init; } = 32767;

    /// <summary>Event table mode: 1 (position, type) or 3 (also channel and duration).</summary>
    public int EventMode { get; init; } = 3;

    /// <summary>Events: 0-based sample position, type code, duration in samples.</summary>
    public List<(int Sample, ushort Type, int Duration)> Events { get; } = [];

    public byte[] Build()
    {
        int n = Channels.Count;
        int samples = Channels[0].Digital.Length;
        // One record per second of samples.
        int records = samples / SampleRate;
        var head = new byte[256 * (n + 1)];
        Encoding.ASCII.GetBytes(Version.PadRight(8)).CopyTo(head, 0);
        Encoding.ASCII.GetBytes(PatientId).CopyTo(head, 8);
        Encoding.ASCII.GetBytes("synthetic").CopyTo(head, 88);
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(184), (ushort)(n + 1));
        BinaryPrimitives.WriteInt64LittleEndian(head.AsSpan(236), records);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(244), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(248), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(252), (ushort)n);
        int v = 256;
        for (int i = 0; i < n; i++)
        {
            Encoding.ASCII.GetBytes(Channels[i].Label).CopyTo(head, v + (16 * i));
            Encoding.ASCII.GetBytes(Channels[i].DimensionCode == 4274 ? "mV" : "uV").CopyTo(head, v + (96 * n) + (6 * i));
            BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(v + (102 * n) + (2 * i)), Channels[i].DimensionCode);
            BinaryPrimitives.WriteDoubleLittleEndian(head.AsSpan(v + (104 * n) + (8 * i)), PhysicalMin);
            BinaryPrimitives.WriteDoubleLittleEndian(head.AsSpan(v + (112 * n) + (8 * i)), PhysicalMax);
            BinaryPrimitives.WriteDoubleLittleEndian(head.AsSpan(v + (120 * n) + (8 * i)), DigitalMin);
            BinaryPrimitives.WriteDoubleLittleEndian(head.AsSpan(v + (128 * n) + (8 * i)), DigitalMax);
            BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(v + (216 * n) + (4 * i)), SampleRate);
            BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(v + (220 * n) + (4 * i)), 3); // int16
        }

        var bytes = new List<byte>(head);
        for (int r = 0; r < records; r++)
        {
            foreach (var channel in Channels)
            {
                for (int k = 0; k < SampleRate; k++)
                {
                    short s = channel.Digital[(r * SampleRate) + k];
                    bytes.Add((byte)s);
                    bytes.Add((byte)(s >> 8));
                }
            }
        }

        if (Events.Count > 0)
        {
            var table = new byte[8 + (Events.Count * (EventMode == 3 ? 12 : 6))];
            table[0] = (byte)EventMode;
            table[1] = (byte)Events.Count;
            table[2] = (byte)(Events.Count >> 8);
            table[3] = (byte)(Events.Count >> 16);
            BinaryPrimitives.WriteSingleLittleEndian(table.AsSpan(4), SampleRate);
            int m = Events.Count;
            for (int e = 0; e < m; e++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(8 + (4 * e)), (uint)(Events[e].Sample + 1));
                BinaryPrimitives.WriteUInt16LittleEndian(table.AsSpan(8 + (4 * m) + (2 * e)), Events[e].Type);
                if (EventMode == 3)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(table.AsSpan(8 + (6 * m) + (2 * e)), 0);
                    BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(8 + (8 * m) + (4 * e)), (uint)Events[e].Duration);
                }
            }

            bytes.AddRange(table);
        }

        return bytes.ToArray();
    }

    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, Build());
        return path;
    }
}
