namespace ChatKit.LoadTest.Servers;

/// <summary>The servers the harness knows how to build, start and speak to.</summary>
internal enum Target
{
    ChatKit,
    SignalR,
    SocketIo,
    Relay,
}

internal static class TargetNames
{
    public static Target Parse(string name) => name.ToLowerInvariant() switch
    {
        "chatkit" => Target.ChatKit,
        "signalr" => Target.SignalR,
        "socketio" or "socket.io" => Target.SocketIo,
        "relay" => Target.Relay,
        _ => throw new ArgumentException($"Unknown target '{name}': use chatkit, signalr, socketio or relay."),
    };

    public static string Name(this Target target) => target switch
    {
        Target.ChatKit => "chatkit",
        Target.SignalR => "signalr",
        Target.SocketIo => "socketio",
        _ => "relay",
    };
}
