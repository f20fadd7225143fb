using ChatKit.Fanout;
using Microsoft.Extensions.Options;

namespace ChatKit.Discovery;

/// <summary>
/// Service discovery (the seed's "service discovery picks a chat server"): this node's heartbeat into the
/// <see cref="INodeRegistry"/>, and the choice of the healthy node with the most spare capacity.
/// </summary>
public sealed class NodeDiscovery
{
    private readonly INodeRegistry _registry;
    private readonly SessionManager _sessions;
    private readonly TimeProvider _clock;
    private readonly ChatKitOptions _options;

    internal NodeDiscovery(INodeRegistry registry, SessionManager sessions, TimeProvider clock, IOptions<ChatKitOptions> options)
    {
        _registry = registry;
        _sessions = sessions;
        _clock = clock;
        _options = options.Value;
    }

    /// <summary>How often this node announces itself.</summary>
    public static TimeSpan BeatInterval { get; } = TimeSpan.FromSeconds(2);

    /// <summary>A node whose last beat is older than this is considered dead.</summary>
    public static TimeSpan DeadAfter { get; } = TimeSpan.FromSeconds(10);

    /// <summary>This node as it announces itself now.</summary>
    public NodeInfo Self => new(_options.NodeId, _options.PublicUrl, _sessions.Count, _options.NodeCapacity, _sessions.IsDraining, _clock.GetUtcNow());

    /// <summary>Announces this node.</summary>
    /// <param name="cancellationToken">Cancels the write.</param>
    public ValueTask BeatAsync(CancellationToken cancellationToken = default) => _registry.HeartbeatAsync(Self, cancellationToken);

    /// <summary>
    /// The live, non-draining node with the most spare capacity (ties broken by id), or <see langword="null"/>
    /// when there is none.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<NodeInfo?> ChooseNodeAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<NodeInfo> nodes = await _registry.GetLiveNodesAsync(DeadAfter, cancellationToken).ConfigureAwait(false);
        NodeInfo? best = null;
        foreach (NodeInfo n in nodes)
        {
            if (n.Draining)
            {
                continue;
            }

            // This node's own entry may be a beat old: use its live count.
            NodeInfo candidate = n.Id == _options.NodeId ? Self : n;
            if (best is null || candidate.SpareCapacity > best.SpareCapacity
                || (candidate.SpareCapacity == best.SpareCapacity && string.CompareOrdinal(candidate.Id, best.Id) < 0))
            {
                best = candidate;
            }
        }

        return best;
    }
}
