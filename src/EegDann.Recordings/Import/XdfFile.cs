using System.Buffers.Binary;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace EegDann.Recordings.Import;

/// <summary>
/// The chunks of an XDF file (what LabRecorder writes from LSL streams), parsed from the
/// specification: the magic <c>XDF:</c>, then chunks of a variable-length byte count, a 2-byte tag
/// and their content.
/// </summary>
/// <remarks>
/// <para>XDF 1.0, Christian Kothe and the SCCN, "XDF: Extensible Data Format", specification on the
/// XDF project's wiki. Tags: 1 FileHeader (XML), 2 StreamHeader (uint32 id + XML), 3 Samples
/// (id, sample count, then per sample a timestamp tag of 0 or 8 bytes and the values), 4
/// ClockOffset (id, collection time, offset value, both double), 5 Boundary (16-byte UUID),
/// 6 StreamFooter (id + XML). Numbers are little-endian; a variable-length integer is one byte
/// giving its width (1, 4 or 8) then that many bytes; a string value is a variable-length byte
/// count then UTF-8 bytes.</para>
/// <para>A sample without a timestamp gets the previous sample's plus 1/nominal rate (the previous
/// one, or 0 for the stream's first sample). Chunks of unknown tags are skipped (the format allows
/// new kinds); a file cut short, a chunk for a stream without a header, or a chunk whose content
/// does not fit its length is refused, naming the chunk and its byte offset (a file cut short is
/// read up to the cut when salvaging, as LabRecorder leaves one after a crash).</para>
/// </remarks>
public sealed class XdfFile
{
    private const long MaxChunkBytes = 1L << 31;

    private const string SalvageHint = " (a recording cut short, e.g. by a crash; import --salvage keeps the chunks before the cut)";

    private XdfFile(string fileHeaderXml, IReadOnlyList<XdfStream> streams, int skippedChunks, string? cutShort)
    {
        FileHeaderXml = fileHeaderXml;
        Streams = streams;
        SkippedChunks = skippedChunks;
        CutShort = cutShort;
    }

    /// <summary>The file header's XML.</summary>
    public string FileHeaderXml { get; }

    /// <summary>Every stream, in the order of their headers.</summary>
    public IReadOnlyList<XdfStream> Streams { get; }

    /// <summary>Chunks with a tag XDF 1.0 does not define, skipped.</summary>
    public int SkippedChunks { get; }

    /// <summary>Where a salvaged file was cut short (the chunk cut off and the bytes lost), or null for a whole file.</summary>
    public string? CutShort { get; }

    /// <summary>Reads and checks every chunk of <paramref name="path"/>.</summary>
    /// <param name="path">The XDF file.</param>
    /// <param name="progress">Called with (bytes read, bytes in all); may be null.</param>
    /// <param name="salvage">A file cut short (inside a chunk's length field or content) keeps the chunks before the cut (<see cref="CutShort"/> says where) instead of being refused.</param>
    /// <param name="cancellationToken">Stops between chunks.</param>
    /// <exception cref="RecordingFormatException">When the file is not a valid XDF file; the message names the file, the chunk and the problem.</exception>
    public static XdfFile Read(string path, Action<long, long>? progress = null, bool salvage = false, CancellationToken cancellationToken = default)
    {
        using var stream = EdfReader.OpenRead(path);
        long length = stream.Length;
        var magic = new byte[4];
        int got = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (got < 4 || magic.AsSpan().SequenceEqual("XDF:"u8) is false)
        {
            throw new RecordingFormatException(path, $"not an XDF file: it must start with 'XDF:', found '{Printable(magic.AsSpan(0, got))}'.");
        }

        string? fileHeader = null;
        var streams = new Dictionary<uint, XdfStream>();
        var order = new List<XdfStream>();
        int skipped = 0;
        string? cutShort = null;
        long position = 4;
        int chunkNumber = 0;
        var small = new byte[9];
        byte[] content = [];
        while (position < length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            chunkNumber++;
            long chunkStart = position;
            string Where() => $"chunk {chunkNumber} at byte {chunkStart}";

            // Chunk length: a width byte (1, 4 or 8) then the count of bytes of tag + content.
            if (stream.ReadAtLeast(small.AsSpan(0, 1), 1, throwOnEndOfStream: false) < 1)
            {
                break;
            }

            int width = small[0];
            if (width is not (1 or 4 or 8))
            {
                throw new RecordingFormatException(path, $"{Where()}: its length field announces {width} bytes; XDF allows 1, 4 or 8. The file is corrupt.");
            }

            if (stream.ReadAtLeast(small.AsSpan(1, width), width, throwOnEndOfStream: false) < width)
            {
                if (salvage && fileHeader is not null)
                {
                    cutShort = $"{Where()} ends inside its length field";
                    break;
                }

                throw new RecordingFormatException(path, $"truncated: {Where()} ends inside its length field{SalvageHint}.");
            }

            ulong chunkLength = width switch
            {
                1 => small[1],
                4 => BinaryPrimitives.ReadUInt32LittleEndian(small.AsSpan(1)),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(small.AsSpan(1)),
            };
            position += 1 + width;
            if (chunkLength < 2)
            {
                throw new RecordingFormatException(path, $"{Where()}: its length is {chunkLength} bytes, too short for the 2-byte tag. The file is corrupt.");
            }

            if ((long)Math.Min(chunkLength, (ulong)long.MaxValue) > length - position)
            {
                if (salvage && fileHeader is not null && chunkLength <= MaxChunkBytes)
                {
                    cutShort = $"{Where()} holds {chunkLength} bytes but the file ends {length - position} bytes into it";
                    break;
                }

                throw new RecordingFormatException(path, $"truncated: {Where()} says it holds {chunkLength} bytes but the file ends {length - position} bytes after its length field{SalvageHint}.");
            }

            if (chunkLength > MaxChunkBytes)
            {
                throw new RecordingFormatException(path, $"{Where()} holds {chunkLength} bytes, more than the {MaxChunkBytes} EegDann reads in one chunk.");
            }

            int n = (int)chunkLength;
            if (content.Length < n)
            {
                content = new byte[Math.Max(n, content.Length * 2)];
            }

            stream.ReadExactly(content, 0, n);
            position += n;
            var chunk = content.AsSpan(0, n);
            ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(chunk);
            var body = chunk[2..];
            switch (tag)
            {
                case 1:
                    if (fileHeader is not null)
                    {
                        throw new RecordingFormatException(path, $"{Where()} is a second FileHeader chunk.");
                    }

                    fileHeader = Xml(path, body, $"{Where()} (FileHeader)").ToString();
                    break;
                case 2:
                {
                    uint id = StreamId(path, body, Where(), "StreamHeader");
                    if (streams.ContainsKey(id))
                    {
                        throw new RecordingFormatException(path, $"{Where()} is a second StreamHeader for stream {id}.");
                    }

                    var s = new XdfStream(id, Xml(path, body[4..], $"{Where()} (StreamHeader of stream {id})"), path);
                    streams[id] = s;
                    order.Add(s);
                    break;
                }

                case 3:
                    ReadSamples(path, body, Known(path, streams, body, Where(), "Samples"), Where());
                    break;
                case 4:
                {
                    var s = Known(path, streams, body, Where(), "ClockOffset");
                    if (body.Length != 20)
                    {
                        throw new RecordingFormatException(path, $"{Where()}: a ClockOffset chunk holds a stream id and two doubles (20 bytes), this one {body.Length}.");
                    }

                    s.RawClockOffsets.Add((BinaryPrimitives.ReadDoubleLittleEndian(body[4..]), BinaryPrimitives.ReadDoubleLittleEndian(body[12..])));
                    break;
                }

                case 5:
                    if (body.Length != 16)
                    {
                        throw new RecordingFormatException(path, $"{Where()}: a Boundary chunk holds a 16-byte UUID, this one {body.Length} bytes.");
                    }

                    break;
                case 6:
                {
                    var s = Known(path, streams, body, Where(), "StreamFooter");
                    s.FooterXml = Xml(path, body[4..], $"{Where()} (StreamFooter of stream {s.Id})").ToString();
                    break;
                }

                default:
                    skipped++;
                    break;
            }

            if (tag != 1 && fileHeader is null)
            {
                throw new RecordingFormatException(path, $"{Where()}: the first chunk must be the FileHeader, this one has tag {tag}.");
            }

            progress?.Invoke(position, length);
        }

        if (fileHeader is null)
        {
            throw new RecordingFormatException(path, "truncated: the file holds only the 'XDF:' magic, not even its FileHeader chunk.");
        }

        return new XdfFile(fileHeader, order, skipped, cutShort);
    }

    private static void ReadSamples(string path, ReadOnlySpan<byte> body, XdfStream s, string where)
    {
        int at = 4;
        string Short() => $"{where}: the Samples chunk of stream {s.Id} '{s.Name}' ends inside its samples; the chunk is corrupt.";
        ulong count = VarLen(body, ref at) ?? throw new RecordingFormatException(path, Short());
        double step = s.NominalRateHz > 0 ? 1.0 / s.NominalRateHz : 0;
        for (ulong k = 0; k < count; k++)
        {
            if (at >= body.Length)
            {
                throw new RecordingFormatException(path, Short());
            }

            byte stampBytes = body[at++];
            double stamp;
            if (stampBytes == 8)
            {
                if (at + 8 > body.Length)
                {
                    throw new RecordingFormatException(path, Short());
                }

                stamp = BinaryPrimitives.ReadDoubleLittleEndian(body[at..]);
                at += 8;
            }
            else if (stampBytes == 0)
            {
                stamp = s.LastTimestamp + step;
            }
            else
            {
                throw new RecordingFormatException(path, $"{where}: sample {k + 1} of stream {s.Id} '{s.Name}' has a timestamp of {stampBytes} bytes; XDF allows 0 or 8.");
            }

            s.LastTimestamp = stamp;
            s.RawTimestamps.Add(stamp);
            if (s.IsString)
            {
                for (int c = 0; c < s.ChannelCount; c++)
                {
                    ulong len = VarLen(body, ref at) ?? throw new RecordingFormatException(path, Short());
                    if (len > (ulong)(body.Length - at))
                    {
                        throw new RecordingFormatException(path, Short());
                    }

                    s.RawStrings.Add(Encoding.UTF8.GetString(body.Slice(at, (int)len)));
                    at += (int)len;
                }
            }
            else
            {
                int bytes = s.ValueBytes * s.ChannelCount;
                if (at + bytes > body.Length)
                {
                    throw new RecordingFormatException(path, Short());
                }

                var values = body.Slice(at, bytes);
                for (int c = 0; c < s.ChannelCount; c++)
                {
                    s.RawValues.Add(s.Format switch
                    {
                        "int8" => (sbyte)values[c],
                        "int16" => BinaryPrimitives.ReadInt16LittleEndian(values[(c * 2)..]),
                        "int32" => BinaryPrimitives.ReadInt32LittleEndian(values[(c * 4)..]),
                        "int64" => BinaryPrimitives.ReadInt64LittleEndian(values[(c * 8)..]),
                        "float32" => BinaryPrimitives.ReadSingleLittleEndian(values[(c * 4)..]),
                        _ => BinaryPrimitives.ReadDoubleLittleEndian(values[(c * 8)..]),
                    });
                }

                at += bytes;
            }
        }

        if (at != body.Length)
        {
            throw new RecordingFormatException(path, $"{where}: the Samples chunk of stream {s.Id} '{s.Name}' announces {count} samples but holds {body.Length - at} bytes more than they need; the chunk is corrupt.");
        }
    }

    private static ulong? VarLen(ReadOnlySpan<byte> body, ref int at)
    {
        if (at >= body.Length)
        {
            return null;
        }

        int width = body[at];
        if (width is not (1 or 4 or 8) || at + 1 + width > body.Length)
        {
            return null;
        }

        var bytes = body.Slice(at + 1, width);
        at += 1 + width;
        return width switch
        {
            1 => bytes[0],
            4 => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        };
    }

    private static uint StreamId(string path, ReadOnlySpan<byte> body, string where, string kind) =>
        body.Length >= 4
            ? BinaryPrimitives.ReadUInt32LittleEndian(body)
            : throw new RecordingFormatException(path, $"{where}: a {kind} chunk must start with a 4-byte stream id; it holds {body.Length} bytes.");

    private static XdfStream Known(string path, Dictionary<uint, XdfStream> streams, ReadOnlySpan<byte> body, string where, string kind)
    {
        uint id = StreamId(path, body, where, kind);
        return streams.TryGetValue(id, out var s)
            ? s
            : throw new RecordingFormatException(path, $"{where}: a {kind} chunk of stream {id}, which has no StreamHeader before it.");
    }

    private static XElement Xml(string path, ReadOnlySpan<byte> bytes, string where)
    {
        try
        {
            return XDocument.Parse(Encoding.UTF8.GetString(bytes)).Root
                ?? throw new RecordingFormatException(path, $"{where}: its XML has no root element.");
        }
        catch (XmlException e)
        {
            throw new RecordingFormatException(path, $"{where}: its XML does not parse ({e.Message}).", e);
        }
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (byte b in bytes)
        {
            text.Append(b is >= 32 and < 127 ? ((char)b).ToString() : $"\\x{b:X2}");
        }

        return text.ToString();
    }
}
