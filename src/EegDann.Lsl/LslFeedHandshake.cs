using System.Globalization;
using System.Text;

namespace EegDann.Lsl;

/// <summary>What an inlet asks for in its <c>LSL:streamfeed/110</c> request.</summary>
/// <param name="Uid">The outlet instance to connect to (a different one answers 404).</param>
/// <param name="Format">The stream's channel format (decides <c>Value-Size</c>).</param>
/// <param name="MaxBufferSamples">The outlet's queue for us, samples; must be positive or the outlet sends no data.</param>
/// <param name="BigEndian">Claim big-endian byte order (liblsl's server then swaps for us; used to test both orders).</param>
/// <param name="Hostname">Our host name (informational).</param>
/// <param name="SessionId">Our LSL session (informational).</param>
public sealed record LslFeedRequest(string Uid, LslChannelFormat Format, int MaxBufferSamples, bool BigEndian = false, string Hostname = "eegdann", string SessionId = "default");

/// <summary>What the outlet agreed to in its <c>LSL/110 200 OK</c> response.</summary>
/// <param name="Uid">The outlet instance that answered.</param>
/// <param name="BigEndian">Whether values arrive big-endian.</param>
/// <param name="SuppressSubnormals">Whether subnormal floats are to be zeroed.</param>
/// <param name="DataProtocolVersion">The negotiated data protocol (110).</param>
public sealed record LslFeedResponse(string Uid, bool BigEndian, bool SuppressSubnormals, int DataProtocolVersion);

/// <summary>
/// The protocol-1.10 stream-feed handshake: the request an inlet sends and the checks on the
/// outlet's answer (liblsl <c>data_receiver.cpp</c>, <c>tcp_server.cpp</c>). Protocol 1.00 (Boost
/// portable archives) is refused with the likely cause, never decoded.
/// </summary>
public static class LslFeedHandshake
{
    /// <summary>The protocol this inlet speaks (1.10).</summary>
    public const int ProtocolVersion = 110;

    /// <summary>The request, byte for byte, with liblsl's header order.</summary>
    public static byte[] BuildRequest(LslFeedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.MaxBufferSamples < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(request), "Max-Buffer-Length must be positive: an outlet sends nothing after the test patterns otherwise");
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"LSL:streamfeed/{ProtocolVersion} {request.Uid}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Native-Byte-Order: {(request.BigEndian ? 4321 : 1234)}\r\n");
        text.Append("Endian-Performance: 0\r\n");
        text.Append("Has-IEEE754-Floats: 1\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Supports-Subnormals: {(request.Format.IsFloatingPoint() ? 1 : 0)}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Value-Size: {request.Format.ValueSizeHeader()}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Data-Protocol-Version: {ProtocolVersion}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Max-Buffer-Length: {request.MaxBufferSamples}\r\n");
        text.Append("Max-Chunk-Length: 0\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Hostname: {request.Hostname}\r\n");
        text.Append("Source-Id: eegdann\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Session-Id: {request.SessionId}\r\n");
        text.Append("\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>
    /// Checks the status line (parsed to CRLF or to the end of the connection: liblsl sends error
    /// lines without CRLF).
    /// </summary>
    /// <param name="statusLine">The line without its CRLF.</param>
    /// <param name="stream">The stream, for messages.</param>
    /// <exception cref="LslStreamLostException">404 (the outlet restarted: re-resolve) or a 3xx.</exception>
    /// <exception cref="LslProtocolException">Anything else that is not 200.</exception>
    public static void CheckStatus(string statusLine, string stream)
    {
        var parts = statusLine.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || !parts[0].StartsWith("LSL/", StringComparison.Ordinal)
            || !int.TryParse(parts[0].AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int version)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status))
        {
            throw new LslProtocolException($"LSL stream {stream}: the outlet's answer '{Printable(statusLine)}' is not an LSL status line (is this port an LSL outlet's data port?)");
        }

        if (version / 100 > ProtocolVersion / 100)
        {
            throw new LslProtocolException($"LSL stream {stream}: the outlet answers with protocol {version / 100.0:0.00}, newer than this inlet's {ProtocolVersion / 100.0:0.00}");
        }

        string reason = parts[2];
        switch (status)
        {
            case 200:
                return;
            case 404:
                throw new LslStreamLostException($"LSL stream {stream}: the outlet answered '{status} {reason}': the outlet instance is gone (restarted?); resolve the stream again");
            case 403:
                throw new LslProtocolException($"LSL stream {stream}: the outlet answered '{status} {reason}': it requires secureLSL (encrypted streams), which this inlet does not speak");
            case 505:
                throw new LslProtocolException($"LSL stream {stream}: the outlet answered '{status} {reason}': it does not support protocol {ProtocolVersion / 100.0:0.00} (its liblsl is older than 1.10?)");
            case >= 300 and < 400:
                throw new LslStreamLostException($"LSL stream {stream}: the outlet answered '{status} {reason}'; resolve the stream again");
            default:
                throw new LslProtocolException($"LSL stream {stream}: the outlet refused the stream feed: '{status} {reason}'");
        }
    }

    /// <summary>Checks the response headers (after a 200 status line).</summary>
    /// <param name="headers">The header lines up to the blank line.</param>
    /// <param name="expectedUid">The UID connected to.</param>
    /// <param name="stream">The stream, for messages.</param>
    /// <exception cref="LslProtocolException">Protocol 1.00, an unknown byte order or a newer protocol.</exception>
    /// <exception cref="LslStreamLostException">When another outlet instance answered.</exception>
    public static LslFeedResponse ParseHeaders(IEnumerable<string> headers, string expectedUid, string stream)
    {
        ArgumentNullException.ThrowIfNull(headers);
        string uid = expectedUid;
        int byteOrder = 0;
        bool suppress = false;
        int protocol = ProtocolVersion;
        foreach (var raw in headers)
        {
            string line = raw;
            int comment = line.IndexOf(';', StringComparison.Ordinal);
            if (comment >= 0)
            {
                line = line[..comment];
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            string name = line[..colon].Trim().ToLowerInvariant();
            string value = line[(colon + 1)..].Trim();
            switch (name)
            {
                case "uid":
                    uid = value;
                    break;
                case "byte-order":
                    byteOrder = Integer(value, name, stream);
                    break;
                case "suppress-subnormals":
                    suppress = Integer(value, name, stream) != 0;
                    break;
                case "data-protocol-version":
                    protocol = Integer(value, name, stream);
                    break;
            }
        }

        if (protocol < ProtocolVersion)
        {
            throw new LslProtocolException(
                $"LSL stream {stream}: the outlet switched to data protocol {protocol / 100.0:0.00} (Boost portable archives), which EegDann does not decode. "
                + "liblsl does this when the inlet's Value-Size does not match the channel format, or when the outlet's lsl_api.cfg sets UseProtocolVersion = 100: remove that setting");
        }

        if (protocol > ProtocolVersion)
        {
            throw new LslProtocolException($"LSL stream {stream}: the outlet answered data protocol {protocol}, newer than this inlet's {ProtocolVersion}");
        }

        if (!string.Equals(uid, expectedUid, StringComparison.Ordinal))
        {
            throw new LslStreamLostException($"LSL stream {stream}: outlet {uid} answered instead of {expectedUid}; resolve the stream again");
        }

        bool bigEndian = byteOrder switch
        {
            // 0: the inlet's own order (liblsl before 1.14 sent no byte order).
            0 => !BitConverter.IsLittleEndian,
            1234 => false,
            4321 => true,
            _ => throw new LslProtocolException($"LSL stream {stream}: the outlet's byte order {byteOrder} is neither 1234 nor 4321"),
        };
        return new LslFeedResponse(uid, bigEndian, suppress, protocol);
    }

    /// <summary>The numeric test pattern liblsl sends twice after the headers (offsets 4, then 2).</summary>
    public static double[] NumericTestPattern(LslChannelFormat format, int channels, int offset)
    {
        var values = new double[channels];
        for (int k = 0; k < channels; k++)
        {
            double value = format switch
            {
                LslChannelFormat.Float32 => k + offset,
                LslChannelFormat.Double64 => k + offset + 16777217.0,
                LslChannelFormat.Int32 => (k + offset + 65537L) % int.MaxValue,
                LslChannelFormat.Int16 => (k + offset + 257L) % short.MaxValue,
                LslChannelFormat.Int8 => (k + offset + 1L) % sbyte.MaxValue,
                LslChannelFormat.Int64 => k + offset + 2147483649L,
                _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a numeric format"),
            };
            values[k] = k % 2 == 0 ? value : -value;
        }

        return values;
    }

    /// <summary>The string test pattern: <c>"10", "-11", "12", …</c> (the same for both samples).</summary>
    public static string[] StringTestPattern(int channels) =>
        Enumerable.Range(0, channels).Select(k => ((k + 10) * (k % 2 == 0 ? 1 : -1)).ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The test patterns' time stamp.</summary>
    public const double TestPatternTimestamp = 123456.789;

    private static int Integer(string value, string name, string stream) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new LslProtocolException($"LSL stream {stream}: response header {name} '{value}' is not a number");

    private static string Printable(string text) =>
        new(text.Take(80).Select(c => c is >= ' ' and < (char)127 ? c : '?').ToArray());
}
