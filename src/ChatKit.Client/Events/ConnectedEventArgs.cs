using ChatKit.Protocol.Frames;

namespace ChatKit.Client;

/// <summary>A session opened: the server's <c>welcome</c>.</summary>
/// <param name="User">The authenticated user.</param>
/// <param name="Device">This device.</param>
/// <param name="Session">The session id.</param>
/// <param name="Node">The server node.</param>
/// <param name="Head">The newest <c>seq</c> of the user's inbox at connect time.</param>
/// <param name="HeartbeatInterval">How often the client pings when idle.</param>
/// <param name="Limits">The server's limits.</param>
/// <param name="IsReconnect">Whether this is an automatic reconnect rather than the first connection.</param>
/// <param name="Resumed">
/// Whether the client resumed from a cursor (<c>after</c>); when <see langword="false"/> the device starts at
/// <see cref="Head"/> and the app should load channels and history.
/// </param>
public sealed record ConnectedEventArgs(
    string User, string Device, string? Session, string? Node, long Head, TimeSpan HeartbeatInterval,
    WireLimits? Limits, bool IsReconnect, bool Resumed);
