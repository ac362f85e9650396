using System.Globalization;
using System.Net;

namespace EegDann.Daemon.Options;

/// <summary>
/// Parses and checks the <c>host:port</c> endpoints of the daemon's settings
/// (<c>127.0.0.1:5000</c>, <c>[::1]:5000</c>, <c>localhost:5000</c>). Host names other than
/// <c>localhost</c> are not resolved: a control loop must not depend on DNS.
/// </summary>
public static class NetworkEndpoint
{
    /// <summary>Parses <paramref name="text"/> into an address and port.</summary>
    /// <param name="text">The endpoint, e.g. <c>127.0.0.1:9000</c>.</param>
    /// <param name="endpoint">The parsed endpoint.</param>
    /// <param name="problem">Why it does not parse, or null.</param>
    /// <param name="allowPortZero">Whether port 0 (let the system choose) is acceptable (listeners only).</param>
    public static bool TryParse(string? text, out IPEndPoint endpoint, out string? problem, bool allowPortZero = false)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "an endpoint 'host:port' is required";
            return false;
        }

        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            problem = $"'{text}' is not 'host:port' (e.g. 127.0.0.1:9000)";
            return false;
        }

        string host = text[..colon].Trim();
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535 || (port == 0 && !allowPortZero))
        {
            problem = $"'{text}': the port must be a number from 1 to 65535";
            return false;
        }

        IPAddress? address;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out address))
        {
            problem = $"'{text}': '{host}' is not an IP address (host names other than localhost are not resolved)";
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>Parses an endpoint that has already been validated.</summary>
    /// <exception cref="FormatException">When it does not parse (the message says why).</exception>
    public static IPEndPoint Parse(string? text, bool allowPortZero = false) =>
        TryParse(text, out var endpoint, out var problem, allowPortZero) ? endpoint : throw new FormatException(problem);

    /// <summary>
    /// The problems of an endpoint setting: it must parse and, unless <paramref name="allowNonLoopback"/>,
    /// be a loopback address (127.0.0.0/8, ::1).
    /// </summary>
    /// <param name="setting">The setting's name, for the message.</param>
    /// <param name="text">Its value.</param>
    /// <param name="allowNonLoopback">Whether the configuration explicitly allows other addresses.</param>
    /// <param name="allowPortZero">Whether port 0 is acceptable.</param>
    public static IEnumerable<string> Problems(string setting, string? text, bool allowNonLoopback, bool allowPortZero = false)
    {
        if (!TryParse(text, out var endpoint, out var problem, allowPortZero))
        {
            yield return $"{setting}: {problem}";
            yield break;
        }

        if (!allowNonLoopback && !IPAddress.IsLoopback(endpoint.Address))
        {
            yield return $"{setting}: {endpoint} is not a loopback address; the daemon binds and sends to loopback only unless AllowNonLoopback is set to true in the same section";
        }
    }
}
