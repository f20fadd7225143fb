using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ChatKit.Fanout;
using ChatKit.Ids;
using ChatKit.Messaging;
using ChatKit.Sync;
using Microsoft.Extensions.DependencyInjection;

namespace ChatKit.Storage.Redis.Tests;

/// <summary>Nodes that die, and a Redis that restarts: what was acknowledged is never lost nor doubled.</summary>
public abstract class NodeFailureTests(RedisDeployment redis) : IAsyncLifetime
{
    private readonly string _prefix = RedisDeployment.UniquePrefix();
    private TestNode _survivor = null!;

    public async Task InitializeAsync() => _survivor = await TestNode.StartAsync(redis.Configuration, _prefix, "survivor");

    public async Task DisposeAsync() => await _survivor.DisposeAsync();

    [Fact]
    public async Task A_node_killed_mid_burst_leaves_every_acknowledged_message_in_every_inbox_exactly_once()
    {
        string[] members = Enumerable.Range(0, 30).Select(i => "m" + i).ToArray();
        ChannelSummary g = await _survivor.Engine.CreateGroupAsync("m0", "burst", members[1..]);
        using var node = new ExternalNode(redis.Configuration, _prefix, "doomed", "burst", g.Channel.Id, "m0", "2000", "8");
        await node.WaitForAsync(n => n.Lines.Count(l => l.StartsWith("ACK", StringComparison.Ordinal)) >= 150, TimeSpan.FromSeconds(60), "150 acknowledged sends");
        node.Kill();
        HashSet<long> acked = node.Lines.Where(l => l.StartsWith("ACK", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ')[2], CultureInfo.InvariantCulture)).ToHashSet();

        // History is the truth of what was committed (acknowledged or not): every member must get all of it, once.
        IMessageStore store = _survivor.Services.GetRequiredService<IMessageStore>();
        long last = (await store.GetChannelAsync(g.Channel.Id))!.LastSeq;
        Assert.True(last >= acked.Count);
        var committed = new HashSet<long>();
        for (long before = last + 1; before > 1;)
        {
            HistoryPage page = await store.GetHistoryAsync(g.Channel.Id, before, 200);
            committed.UnionWith(page.Messages.Select(m => m.Id));
            before = page.Messages.Count == 0 ? 0 : page.Messages[0].ChannelSeq;
        }

        Assert.Superset(acked, committed);
        var sw = Stopwatch.StartNew();
        foreach (string member in members)
        {
            while (true)
            {
                List<long> ids = await MessageIdsAsync(store, member);
                Assert.Equal(ids.Count, ids.Distinct().Count());
                if (ids.Count == committed.Count)
                {
                    Assert.Equal(committed.Order(), ids.Order());
                    break;
                }

                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"{member} has {ids.Count} of {committed.Count} messages after 30 s");
                await Task.Delay(100);
            }
        }
    }

    [Fact]
    public async Task A_dead_nodes_users_go_offline_within_the_timeout_and_subscribers_elsewhere_see_it()
    {
        var watcher = new SessionReader(await _survivor.Sessions.OpenAsync("watcher", "d", null));
        await _survivor.Engine.SubscribePresenceAsync(watcher.Session, ["ghost"]);
        using var node = new ExternalNode(redis.Configuration, _prefix, "doomed", "sessions", "ghost");
        await node.WaitForAsync(n => n.Lines.Contains("READY"), TimeSpan.FromSeconds(30), "sessions");
        await watcher.WaitForAsync(r => r.Frames.Any(f => f.GetProperty("type").GetString() == "presence"), what: "online");
        Assert.True(Assert.Single(await _survivor.Engine.GetPresenceAsync(["ghost"])).Online);

        var sw = Stopwatch.StartNew();
        node.Kill();
        await watcher.WaitForAsync(r => r.Frames.Count(f => f.GetProperty("type").GetString() == "presence") == 2, TimeSpan.FromSeconds(15), "offline");
        Assert.Equal("offline", watcher.Frames.Last(f => f.GetProperty("type").GetString() == "presence").GetProperty("status").GetString());
        Assert.False(Assert.Single(await _survivor.Engine.GetPresenceAsync(["ghost"])).Online);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"offline after {sw.Elapsed}");
    }

    private static async Task<List<long>> MessageIdsAsync(IMessageStore store, string user)
    {
        var ids = new List<long>();
        long after = 0;
        while (true)
        {
            InboxPage page = await store.ReadInboxAsync(user, after, 1000);
            ids.AddRange(page.Entries.Where(e => e.Item.Kind == InboxEntryKind.Message).Select(e => e.Item.Message!.Id));
            if (!page.HasMore)
            {
                return ids;
            }

            after = page.Entries[^1].Seq;
        }
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneNodeFailureTests(StandaloneRedis redis) : NodeFailureTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterNodeFailureTests(ClusterRedis redis) : NodeFailureTests(redis);
