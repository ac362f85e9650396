using System.Buffers.Binary;
using System.Text.Json;
using EegDann.Core;

namespace EegDann.Daemon.Acquisition;

/// <summary>
/// The daemon's TCP protocol, for amplifier bridges. The client sends one UTF-8 JSON line
/// <c>{"sample_rate_hz": 160, "channels": ["C3", …], "subject": "S002"}</c> (subject optional;
/// other members are kept as stream properties), then frames: <c>uint32 n_samples</c>,
/// <c>uint64 first_sample_index</c>, then n_samples × n_channels float32, all little-endian,
/// sample-major, µV. A frame whose first index does not continue the previous one is a gap. A
/// bad header or frame closes the connection with one JSON error line sent back; the client may
/// reconnect at any time (a new connection replaces the old one).
/// </summary>
public static class TcpFrameProtocol
{
    /// <summary>Bytes of a frame header.</summary>
    public const int FrameHeaderBytes = 12;

    /// <summary>The most members a header object may have.</summary>
    public const int MaxHeaderMembers = 64;

    /// <summary>The longest header line accepted, bytes.</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    /// <summary>Parses the header line.</summary>
    /// <param name="line">The line without its newline.</param>
    /// <param name="peer">The client, for the source name.</param>
    /// <exception cref="FormatException">When it is not a valid header; the message says what is wrong.</exception>
    public static StreamDescription ParseHeader(ReadOnlySpan<byte> line, string peer)
    {
        if (!System.Text.Unicode.Utf8.IsValid(line))
        {
            throw new FormatException("the header line is not valid UTF-8");
        }

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(line);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the header line is not JSON ({e.Message})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the header line must be a JSON object with sample_rate_hz and channels");
            }

            var problems = new List<string>();
            double rate = double.NaN;
            if (!root.TryGetProperty("sample_rate_hz", out var rateElement) || rateElement.ValueKind != JsonValueKind.Number || !rateElement.TryGetDouble(out rate))
            {
                problems.Add("sample_rate_hz (a number, Hz) is missing");
            }

            var channels = new List<string>();
            if (!root.TryGetProperty("channels", out var channelsElement) || channelsElement.ValueKind != JsonValueKind.Array)
            {
                problems.Add("channels (an array of labels) is missing");
            }
            else
            {
                foreach (var channel in channelsElement.EnumerateArray())
                {
                    if (channel.ValueKind != JsonValueKind.String)
                    {
                        problems.Add("every channel label must be a string");
                        break;
                    }

                    channels.Add(channel.GetString()!);
                }
            }

            string? subject = null;
            if (root.TryGetProperty("subject", out var subjectElement))
            {
                if (subjectElement.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(subjectElement.GetString()))
                {
                    subject = subjectElement.GetString();
                }
                else
                {
                    problems.Add("subject must be a non-empty string");
                }
            }

            if (problems.Count == 0)
            {
                problems.AddRange(StreamLimits.Problems(rate, channels, subject));
            }

            int members = root.EnumerateObject().Count();
            if (members > MaxHeaderMembers)
            {
                problems.Add($"the header has {members} members, more than the {MaxHeaderMembers} accepted");
            }

            if (problems.Count > 0)
            {
                throw new FormatException("bad header: " + string.Join("; ", problems));
            }

            SignalInfo info;
            try
            {
                info = new SignalInfo(rate, channels);
            }
            catch (ArgumentException e)
            {
                throw new FormatException("bad header: " + e.Message, e);
            }

            var properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["peer"] = peer };
            foreach (var member in root.EnumerateObject())
            {
                if (member.Name is not ("sample_rate_hz" or "channels" or "subject"))
                {
                    properties["tcp." + member.Name] = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString()! : member.Value.GetRawText();
                }
            }

            return new StreamDescription(info, $"tcp {peer}", subject, properties);
        }
    }

    /// <summary>Reads a frame header.</summary>
    /// <param name="header">12 bytes.</param>
    /// <param name="maxSamples">The largest frame accepted.</param>
    /// <returns>Samples in the frame and the index of its first sample.</returns>
    /// <exception cref="FormatException">When the frame is larger than <paramref name="maxSamples"/> or its index exceeds the int64 range.</exception>
    public static (int Samples, long FirstIndex) ParseFrameHeader(ReadOnlySpan<byte> header, int maxSamples)
    {
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(header);
        ulong first = BinaryPrimitives.ReadUInt64LittleEndian(header[4..]);
        if (n > (uint)maxSamples)
        {
            throw new FormatException($"a frame of {n} samples is larger than the {maxSamples} allowed (Daemon:Tcp:MaxFrameSamples)");
        }

        if (first > (ulong)StreamLimits.MaxSampleIndex)
        {
            throw new FormatException($"first_sample_index {first} is larger than the {StreamLimits.MaxSampleIndex} accepted");
        }

        return ((int)n, (long)first);
    }

    /// <summary>Writes a frame header (for clients and tests).</summary>
    public static void WriteFrameHeader(Span<byte> destination, int samples, long firstIndex)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, checked((uint)samples));
        BinaryPrimitives.WriteUInt64LittleEndian(destination[4..], checked((ulong)firstIndex));
    }

    /// <summary>Converts little-endian float32 bytes to values.</summary>
    public static void ReadSamples(ReadOnlySpan<byte> bytes, Span<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes)[..values.Length].CopyTo(values);
            return;
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
        }
    }

    /// <summary>Converts values to little-endian float32 bytes (for clients and tests).</summary>
    public static void WriteSamples(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes[(i * 4)..], values[i]);
        }
    }
}
