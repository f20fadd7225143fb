using System.Globalization;
using ChatKit.Hosting;
using ChatKit.Internal;
using StackExchange.Redis;

namespace ChatKit.Discovery;

/// <summary>
/// <see cref="INodeRegistry"/> on Redis: one hash of node states and one sorted set of heartbeat times, both on the
/// <c>{nodes}</c> slot, aged by the clock of the node that reads them (server clocks are kept in sync by NTP; the
/// instance liveness that cleanup relies on uses the Redis server's clock instead).
/// </summary>
internal sealed class RedisNodeRegistry : INodeRegistry
{
    private readonly RedisContext _ctx;

    public RedisNodeRegistry(RedisContext context) => _ctx = context;

    public ValueTask HeartbeatAsync(NodeInfo node, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        string info = string.Join('\n', node.Url ?? "", node.Sessions.ToString(CultureInfo.InvariantCulture),
            node.Capacity.ToString(CultureInfo.InvariantCulture), node.Draining ? "1" : "0");
        return new(_ctx.RunAsync(async db =>
        {
            await db.ScriptEvaluateAsync(Scripts.NodeBeat, [_ctx.Keys.Nodes.Info, _ctx.Keys.Nodes.Beats], [node.Id, info, node.LastBeatAt.ToUnixTimeMilliseconds()]).ConfigureAwait(false);
            return true;
        }, cancellationToken));
    }

    public ValueTask RemoveAsync(string nodeId, CancellationToken cancellationToken = default) =>
        new(_ctx.RunAsync(async db =>
        {
            await Task.WhenAll(
                db.HashDeleteAsync(_ctx.Keys.Nodes.Info, nodeId),
                db.SortedSetRemoveAsync(_ctx.Keys.Nodes.Beats, nodeId)).ConfigureAwait(false);
            return true;
        }, cancellationToken));

    public ValueTask<IReadOnlyList<NodeInfo>> GetLiveNodesAsync(TimeSpan maxAge, CancellationToken cancellationToken = default) =>
        new(_ctx.RunAsync<IReadOnlyList<NodeInfo>>(async db =>
        {
            var r = (RedisResult[])(await db.ScriptEvaluateAsync(Scripts.LiveNodes, [_ctx.Keys.Nodes.Info, _ctx.Keys.Nodes.Beats],
                [(_ctx.Clock.GetUtcNow() - maxAge).ToUnixTimeMilliseconds()]).ConfigureAwait(false))!;
            var nodes = new List<NodeInfo>((r.Length - 1) / 3);
            for (int i = 1; i + 2 < r.Length; i += 3)
            {
                string[] f = ((string)r[i + 2]!).Split('\n');
                nodes.Add(new NodeInfo((string)r[i]!, f[0].Length == 0 ? null : f[0],
                    int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), f[3] == "1",
                    DateTimeOffset.FromUnixTimeMilliseconds((long)double.Parse((string)r[i + 1]!, CultureInfo.InvariantCulture))));
            }

            return nodes;
        }, cancellationToken));
}
