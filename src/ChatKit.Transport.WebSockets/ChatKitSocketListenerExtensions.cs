using System.Net;
using ChatKit.Hosting;
using ChatKit.Transport.WebSockets.Internal;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Serves ChatKit's WebSocket endpoint on sockets that ChatKit accepts itself.</summary>
public static class ChatKitSocketListenerExtensions
{
    /// <summary>
    /// Serves the ChatKit WebSocket endpoint at <paramref name="pattern"/> on a TCP listener that ChatKit runs itself,
    /// next to Kestrel, for nodes that carry the most traffic: with no HTTP server under the WebSocket, each frame is
    /// written straight to the socket. Measured against <c>MapChatKit</c>'s endpoint: about a tenth less CPU per 1:1
    /// delivery, a sixth less per group delivery, and a third of the memory per idle connection (docs/benchmarks.md).
    /// Run the host with <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> (not with the LiteDB store) and a
    /// message's whole path stays on the socket engine's thread: a fifth less CPU per 1:1 delivery again
    /// (docs/configuration.md).
    /// The handshake is the same as on <c>MapChatKit</c> (the host's default authentication scheme, allowed origins,
    /// device and cursor, the same refusals). The listener speaks plain HTTP/1.1 and WebSockets only: end TLS in front
    /// of it (a load balancer or proxy), and keep the HTTP endpoints on Kestrel. Endpoint conventions of
    /// <c>MapChatKit</c> (<c>RequireAuthorization</c>, CORS, rate limiting) do not apply to it. Needs
    /// <c>app.MapChatKit(pattern)</c>; may be called more than once for several addresses.
    /// </summary>
    /// <param name="builder">The builder from <c>AddChatKit()</c>.</param>
    /// <param name="endPoint">The address to listen on, as <c>new IPEndPoint(IPAddress.Any, 5001)</c>. A port that cannot be bound stops the host's start.</param>
    /// <param name="pattern">The path of the WebSocket endpoint: the same as given to <c>MapChatKit</c>. Default <c>/chatkit</c>.</param>
    /// <returns>The builder.</returns>
    public static IChatKitBuilder AddSocketListener(this IChatKitBuilder builder, IPEndPoint endPoint, string pattern = "/chatkit")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        builder.Services.AddSingleton<IHostedService>(sp => new ChatKitSocketListener(sp, endPoint, pattern));
        return builder;
    }
}
