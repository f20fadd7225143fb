using ChatKit.LoadTest.Net;

namespace ChatKit.LoadTest.Protocols;

/// <summary>
/// How one kind of server is spoken to. Everything the scenarios do goes through this, so the same
/// generator code measures every server. Frames for the hot path are built as bytes up front;
/// replies the generator waits for are matched through <see cref="WsConnection.Pending"/>.
/// </summary>
internal interface IWireProtocol
{
    string Name { get; }

    bool SupportsPresence { get; }

    bool SupportsStoredMessages { get; }

    /// <summary>A frame to send on a connection that has been silent for <see cref="KeepAliveInterval"/>, or null.</summary>
    byte[]? KeepAliveFrame { get; }

    TimeSpan KeepAliveInterval { get; }

    /// <summary>Everything needed before many connects at once (ChatKit: tokens), done in bulk.</summary>
    Task PrepareUsersAsync(IEnumerable<string> users, CancellationToken cancellationToken);

    Task<Uri> GetUriAsync(WsConnection connection, CancellationToken cancellationToken);

    Task HandshakeAsync(WsConnection connection, CancellationToken cancellationToken);

    /// <summary>Handles one received WebSocket message (deliveries were already counted).</summary>
    void OnMessage(WsConnection connection, ReadOnlySpan<byte> message, bool hadDeliveries);

    byte[] Direct(WsConnection from, string to, string body, long n);

    byte[] Group(WsConnection from, string group, string body, long n);

    /// <summary>A 1:1 message kept for offline devices, acknowledged: returns the id the ack will carry.</summary>
    (string Id, byte[] Frame) StoredDirect(WsConnection from, string to, string body, long n);

    /// <summary>Creates a group of these connections' users and returns the id to send to.</summary>
    Task<string> SetupGroupAsync(string name, IReadOnlyList<WsConnection> members, CancellationToken cancellationToken);

    /// <summary>Puts a reconnected member back into a group (ChatKit keeps membership on the server: nothing to do).</summary>
    Task RejoinGroupAsync(string name, WsConnection member, CancellationToken cancellationToken);

    Task SubscribePresenceAsync(WsConnection connection, IReadOnlyList<string> users, CancellationToken cancellationToken);

    /// <summary>The cursor a device resumes from after its first connect (ChatKit: the welcome's head).</summary>
    long CursorAfterConnect(WsConnection connection);
}
