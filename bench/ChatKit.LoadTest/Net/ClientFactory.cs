using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace ChatKit.LoadTest.Net;

/// <summary>
/// Creates the HTTP handler that WebSocket connections go through. With source addresses, each new
/// TCP connection binds the next 127.0.0.x address, so that more than one address's ephemeral
/// port range (about 28,000) can be used against one server port.
/// </summary>
internal static class ClientFactory
{
    private static int _next;

    public static HttpMessageInvoker Create(int firstSource, int sourceCount)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };

        if (sourceCount > 0)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var n = Interlocked.Increment(ref _next);
                var last = firstSource + (n % sourceCount);
                var source = new IPAddress(new byte[] { 127, 0, (byte)(last / 254), (byte)(1 + (last % 254)) });
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        else
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return new HttpMessageInvoker(handler);
    }
}
