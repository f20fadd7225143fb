namespace ChatKit.Discovery;

/// <summary>A node as it announces itself for service discovery.</summary>
/// <param name="Id">The node id.</param>
/// <param name="Url">The WebSocket URL clients use, or <see langword="null"/> when not configured.</param>
/// <param name="Sessions">Live sessions.</param>
/// <param name="Capacity">Sessions the node is meant to carry.</param>
/// <param name="Draining">Whether the node is shutting down and must not be chosen.</param>
/// <param name="LastBeatAt">When the node last announced itself.</param>
public sealed record NodeInfo(string Id, string? Url, int Sessions, int Capacity, bool Draining, DateTimeOffset LastBeatAt)
{
    /// <summary>Sessions the node can still take.</summary>
    public int SpareCapacity => Capacity - Sessions;
}
