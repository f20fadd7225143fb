using System.Collections.Concurrent;

namespace ChatKit.Discovery;

/// <summary>The default <see cref="INodeRegistry"/>: the nodes of this process (normally just one).</summary>
public sealed class InMemoryNodeRegistry : INodeRegistry
{
    private readonly ConcurrentDictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;

    /// <summary>Creates the registry.</summary>
    /// <param name="clock">The clock that ages heartbeats.</param>
    public InMemoryNodeRegistry(TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
    }

    /// <inheritdoc />
    public ValueTask HeartbeatAsync(NodeInfo node, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        _nodes[node.Id] = node;
        return default;
    }

    /// <inheritdoc />
    public ValueTask RemoveAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        _nodes.TryRemove(nodeId, out _);
        return default;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<NodeInfo>> GetLiveNodesAsync(TimeSpan maxAge, CancellationToken cancellationToken = default)
    {
        DateTimeOffset horizon = _clock.GetUtcNow() - maxAge;
        return new(_nodes.Values.Where(n => n.LastBeatAt >= horizon).ToArray());
    }
}
