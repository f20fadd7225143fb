namespace ChatKit.Client;

/// <summary>The state of a <see cref="ChatClient"/>'s connection.</summary>
public enum ChatConnectionState
{
    /// <summary>Not connected and not trying to: before <see cref="ChatClient.ConnectAsync"/>, after the last
    /// reconnect attempt gave up, or after disposal.</summary>
    Disconnected,

    /// <summary>The first connection is being opened.</summary>
    Connecting,

    /// <summary>A session is open: the server's <c>welcome</c> arrived.</summary>
    Connected,

    /// <summary>The connection was lost; the client is waiting or trying to reconnect.</summary>
    Reconnecting,
}
