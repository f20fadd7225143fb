using System.Globalization;

namespace ChatKit.LoadTest.Servers;

/// <summary>How servers are started: which CPUs, extra arguments, or an already running server.</summary>
internal sealed class LaunchOptions
{
    /// <summary>taskset CPU list for servers (and Redis); null = not pinned.</summary>
    public string? ServerCpus { get; init; } = "0";

    /// <summary>How many CPUs <see cref="ServerCpus"/> names (<c>0</c>, <c>0,2</c>, <c>0-3</c>); null when not pinned.</summary>
    public int? ServerCpuCount => ServerCpus?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Sum(static part => part.Split('-') is [var first, var last] ? Cpu(last) - Cpu(first) + 1 : 1);

    /// <summary>ChatKit storage for one node (<c>--ChatKit:Storage=</c>).</summary>
    public string ChatKitStorage { get; init; } = "InMemory";

    public IReadOnlyList<string> ChatKitArgs { get; init; } = [];

    /// <summary>SignalR baseline's 1:1 delivery: "user" (Clients.User) or "group" (per-user group).</summary>
    public string SignalRUserDelivery { get; init; } = "user";

    /// <summary>Socket.IO baseline's 1:1: kept and acknowledged to the sender (<c>dma</c>, as ChatKit's <c>send</c>) instead of only forwarded (<c>dm</c>).</summary>
    public bool SocketIoAcknowledged { get; init; }

    /// <summary>Base URL of a server that is already running (run --url); nothing is started then.</summary>
    public Uri? ExternalUrl { get; init; }

    /// <summary>Pid of the external server, for CPU and memory (run --server-pid).</summary>
    public int? ExternalPid { get; init; }

    public string ChatKitPath { get; init; } = "/chatkit";

    /// <summary>ChatKit's WebSockets on a listener of their own (<c>--ChatKit:WebSocketListener</c>, <c>ListenOptions.UseChatKit</c>).</summary>
    public bool ChatKitListener { get; init; }

    /// <summary>ChatKit's WebSockets on its own socket listener (<c>--ChatKit:SocketListener</c>, <c>AddSocketListener</c>).</summary>
    public bool ChatKitSocketListener { get; init; }

    /// <summary>Where an already running ChatKit serves its WebSockets when not at its HTTP base (idle workers).</summary>
    public Uri? ChatKitWebSocketBase { get; init; }

    /// <summary>nice value for servers and Redis (negative = higher priority than other work on the machine); null = unchanged.</summary>
    public int? Nice { get; init; }

    private static int Cpu(string number) => int.Parse(number, NumberStyles.Integer, CultureInfo.InvariantCulture);
}
