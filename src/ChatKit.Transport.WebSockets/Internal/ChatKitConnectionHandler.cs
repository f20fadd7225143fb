using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>
/// ChatKit's WebSocket endpoint straight on a Kestrel connection (<c>ListenOptions.UseChatKit()</c>): the handshake of
/// <see cref="UpgradeHandshake"/>, then the WebSocket on the connection's pipes.
/// </summary>
internal sealed class ChatKitConnectionHandler(IServiceProvider services, string pattern) : ConnectionHandler
{
    private readonly UpgradeHandshake _handshake = new(services, pattern, $"ListenOptions.UseChatKit(\"{pattern}\")");

    public override Task OnConnectedAsync(ConnectionContext connection) =>
        _handshake.RunAsync(
            new UpgradeConnection(connection.Transport, connection.RemoteEndPoint, connection.LocalEndPoint,
                IsHttps: connection.Features.Get<ITlsHandshakeFeature>() is not null,
                OpenWebSocketStream: () => new DuplexPipeStream(connection.Transport)),
            connection.ConnectionClosed);
}
