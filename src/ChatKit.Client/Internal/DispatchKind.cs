namespace ChatKit.Client.Internal;

/// <summary>What a <see cref="DispatchItem"/> carries to the event dispatcher.</summary>
internal enum DispatchKind
{
    Entry,
    Reset,
    Typing,
    Receipt,
    Presence,
    PresenceSnapshot,
    Connected,
    Disconnected,
    Reconnecting,
}
