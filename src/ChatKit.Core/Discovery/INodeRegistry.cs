namespace ChatKit.Discovery;

/// <summary>Where nodes announce themselves with a heartbeat, and where discovery finds them.</summary>
public interface INodeRegistry
{
    /// <summary>Registers or refreshes a node.</summary>
    /// <param name="node">The node's current state.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask HeartbeatAsync(NodeInfo node, CancellationToken cancellationToken = default);

    /// <summary>Removes a node (on clean shutdown).</summary>
    /// <param name="nodeId">The node.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask RemoveAsync(string nodeId, CancellationToken cancellationToken = default);

    /// <summary>The nodes whose last heartbeat is at most <paramref name="maxAge"/> old.</summary>
    /// <param name="maxAge">How old a heartbeat may be for its node to count as alive.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<NodeInfo>> GetLiveNodesAsync(TimeSpan maxAge, CancellationToken cancellationToken = default);
}
