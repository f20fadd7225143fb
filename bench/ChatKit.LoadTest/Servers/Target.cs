namespace ChatKit.LoadTest.Servers;

/// <summary>The servers the harness knows how to build, start and speak to.</summary>
internal enum Target
{
    ChatKit,

    /// <summary>The ChatKit sample server on its durable default (LiteDB, a fresh file per start).</summary>
    ChatKitLiteDb,
    SignalR,
    SocketIo,
    Relay,
}

internal static class TargetNames
{
    public static Target Parse(string name) => name.ToLowerInvariant() switch
    {
        "chatkit" => Target.ChatKit,
        "chatkit-litedb" => Target.ChatKitLiteDb,
        "signalr" => Target.SignalR,
        "socketio" or "socket.io" => Target.SocketIo,
        "relay" => Target.Relay,
        _ => throw new ArgumentException($"Unknown target '{name}': use chatkit, chatkit-litedb, signalr, socketio or relay."),
    };

    public static string Name(this Target target) => target switch
    {
        Target.ChatKit => "chatkit",
        Target.ChatKitLiteDb => "chatkit-litedb",
        Target.SignalR => "signalr",
        Target.SocketIo => "socketio",
        _ => "relay",
    };
}
