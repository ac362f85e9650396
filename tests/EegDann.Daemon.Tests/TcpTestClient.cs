using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EegDann.Daemon.Tests;

/// <summary>What tests of the TCP source send as a client.</summary>
internal static class TcpTestClient
{
    /// <summary>Sends raw bytes (as much as the daemon takes) and returns what it answers before it closes the connection.</summary>
    public static async Task<string> SendRawAsync(int port, byte[] bytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var answer = new MemoryStream();
        var reading = stream.CopyToAsync(answer);
        try
        {
            await stream.WriteAsync(bytes);
            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // The daemon closed the connection before taking everything.
        }

        try
        {
            await reading;
        }
        catch (IOException)
        {
            // Reset after the answer.
        }

        return Encoding.UTF8.GetString(answer.ToArray());
    }
}
