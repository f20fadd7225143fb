using ChatKit.Transport.WebSockets.Internal;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Serves ChatKit's WebSocket endpoint on a Kestrel listener of its own.</summary>
public static class ChatKitListenOptionsExtensions
{
    /// <summary>
    /// Serves the ChatKit WebSocket endpoint at <paramref name="pattern"/> directly on this listener, for hosts that
    /// hold many idle connections: the handshake is the same as on <c>MapChatKit</c> (the host's default
    /// authentication scheme, allowed origins, device and cursor, the same refusals), but once upgraded the
    /// connection keeps no ASP.NET Core request, which roughly halves its memory. The listener serves nothing else:
    /// the HTTP endpoints stay on the host's other listeners, and endpoint conventions of <c>MapChatKit</c>
    /// (<c>RequireAuthorization</c>, CORS, rate limiting) do not apply to it. Needs <c>app.MapChatKit(pattern)</c>.
    /// </summary>
    /// <param name="listenOptions">The Kestrel listener, as in <c>options.ListenAnyIP(5001, l =&gt; l.UseChatKit())</c>.</param>
    /// <param name="pattern">The path of the WebSocket endpoint: the same as given to <c>MapChatKit</c>. Default <c>/chatkit</c>.</param>
    /// <returns>The listener.</returns>
    public static ListenOptions UseChatKit(this ListenOptions listenOptions, string pattern = "/chatkit")
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        var handler = new ChatKitConnectionHandler(listenOptions.ApplicationServices, pattern);
        listenOptions.Use(_ => handler.OnConnectedAsync);
        return listenOptions;
    }
}
