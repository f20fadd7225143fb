namespace ChatKit.Protocol;

/// <summary>The values of a frame's <c>type</c> field (PROTOCOL.md sections 2, 4 and 5).</summary>
public static class FrameTypes
{
    /// <summary>First frame of every connection.</summary>
    public const string Welcome = "welcome";
    /// <summary>An inbox entry.</summary>
    public const string Entry = "entry";
    /// <summary>The device cursor was too old or ahead of the head; reload state.</summary>
    public const string Reset = "reset";
    /// <summary>A successful reply to a request.</summary>
    public const string Ok = "ok";
    /// <summary>A failed reply, or a complaint about a bad frame.</summary>
    public const string Error = "error";
    /// <summary>Reply to <see cref="Ping"/>.</summary>
    public const string Pong = "pong";
    /// <summary>Somebody is typing in a channel.</summary>
    public const string Typing = "typing";
    /// <summary>Another member read a channel up to a sequence.</summary>
    public const string Receipt = "receipt";
    /// <summary>A subscribed user's presence changed.</summary>
    public const string Presence = "presence";
    /// <summary>The node is shutting down.</summary>
    public const string Drain = "drain";

    /// <summary>Request: send a message.</summary>
    public const string Send = "send";
    /// <summary>Request: read channel history.</summary>
    public const string History = "history";
    /// <summary>Request: pull inbox entries.</summary>
    public const string Sync = "sync";
    /// <summary>Request: list the user's channels.</summary>
    public const string Channels = "channels";
    /// <summary>Request: create a group.</summary>
    public const string GroupCreate = "group.create";
    /// <summary>Request: add members to a group.</summary>
    public const string GroupAdd = "group.add";
    /// <summary>Request: remove members from a group.</summary>
    public const string GroupRemove = "group.remove";
    /// <summary>Request: mark a channel read.</summary>
    public const string Read = "read";
    /// <summary>Request: subscribe to users' presence.</summary>
    public const string PresenceSubscribe = "presence.sub";
    /// <summary>Request: unsubscribe from users' presence.</summary>
    public const string PresenceUnsubscribe = "presence.unsub";
    /// <summary>Request: bind a push address to this device.</summary>
    public const string PushRegister = "push.register";
    /// <summary>Request: unbind a push address from this device.</summary>
    public const string PushUnregister = "push.unregister";
    /// <summary>Request: liveness probe.</summary>
    public const string Ping = "ping";
}
