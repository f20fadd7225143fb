using System.Globalization;
using StackExchange.Redis;

namespace ChatKit.Internal;

/// <summary>
/// Every key ChatKit uses, hash-tagged so that what one script touches sits on one cluster slot: a channel's keys
/// share <c>{c:ID}</c>, a user's share <c>{u:ID}</c>, a node instance's share <c>{i:ID}</c>, and the node registry
/// and worker id leases share <c>{nodes}</c>.
/// </summary>
internal sealed class RedisKeys
{
    private readonly string _p;

    public RedisKeys(string prefix)
    {
        _p = prefix;
        Nodes = new RedisKeyHolder(prefix + "{nodes}");
        PresenceChannel = RedisChannel.Literal(prefix + "bus:presence");
    }

    public string Prefix => _p;

    // ---- channel slot: {c:ID}
    public RedisKey ChannelTag(string channelId) => _p + "{c:" + channelId + "}";

    public static string ChannelTagContent(string channelId) => "c:" + channelId;

    public RedisKey ChannelMeta(string c) => ChannelTag(c);

    public RedisKey ChannelMembers(string c) => _p + "{c:" + c + "}:m";

    public RedisKey ChannelHistory(string c) => _p + "{c:" + c + "}:h";

    public RedisKey ChannelOwn(string c) => _p + "{c:" + c + "}:o";

    public RedisKey ChannelReadMarks(string c) => _p + "{c:" + c + "}:r";

    public RedisKey ChannelJobs(string c) => _p + "{c:" + c + "}:q";

    public RedisKey ChannelLock(string c) => _p + "{c:" + c + "}:l";

    public RedisKey Dedupe(string c, string from, string clientMsgId) => _p + "{c:" + c + "}:d:" + from + ":" + clientMsgId;

    /// <summary>The set of channels with pending fan-out jobs on one slot: a key of that slot found by <see cref="HashSlots"/>.</summary>
    public RedisKey SlotPending(int slot) => _p + "{" + HashSlots.TagOf(slot) + "}";

    // ---- user slot: {u:ID}
    public RedisKey User(string u) => _p + "{u:" + u + "}";

    public static string UserTagContent(string u) => "u:" + u;

    public RedisKey Inbox(string u) => _p + "{u:" + u + "}:i";

    public RedisKey Applied(string u) => _p + "{u:" + u + "}:a";

    public RedisKey UserChannels(string u) => _p + "{u:" + u + "}:c";

    public RedisKey Sessions(string u) => _p + "{u:" + u + "}:s";

    public RedisKey PushTokens(string u) => _p + "{u:" + u + "}:t";

    // ---- node instance slot: {i:ID}
    public RedisKey InstanceUsers(string instance) => _p + "{i:" + instance + "}:u";

    public RedisKey InstanceSlots(string instance) => _p + "{i:" + instance + "}:f";

    public RedisChannel InstanceChannel(string instance, bool sharded)
    {
        string name = _p + "{i:" + instance + "}:bus";
        return sharded ? RedisChannel.Sharded(name) : RedisChannel.Literal(name);
    }

    public RedisChannel PresenceChannel { get; }

    // ---- registry slot: {nodes}
    public RedisKeyHolder Nodes { get; }

    public RedisKey WorkerLease(int workerId) => Nodes.Sub("w:" + workerId.ToString(CultureInfo.InvariantCulture));

    internal sealed class RedisKeyHolder(string root)
    {
        public RedisKey Info { get; } = root + ":info";

        public RedisKey Beats { get; } = root + ":beat";

        public RedisKey Instances { get; } = root + ":inst";

        public RedisKey WorkerLast { get; } = root + ":wl";

        public RedisKey WorkerLeasePrefix { get; } = root + ":w:";

        public RedisKey Sub(string name) => root + ":" + name;
    }
}
