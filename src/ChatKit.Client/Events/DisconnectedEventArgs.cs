using System.Net.WebSockets;

namespace ChatKit.Client;

/// <summary>The connection was lost or closed.</summary>
/// <param name="Exception">What broke the connection, if it did not close cleanly.</param>
/// <param name="CloseStatus">The server's close code, if it sent one (1012 drain, 4000 heartbeat, 4009 slow…).</param>
/// <param name="CloseDescription">The server's close reason.</param>
/// <param name="WillReconnect">Whether the client will reconnect automatically.</param>
public sealed record DisconnectedEventArgs(
    Exception? Exception, WebSocketCloseStatus? CloseStatus, string? CloseDescription, bool WillReconnect);
