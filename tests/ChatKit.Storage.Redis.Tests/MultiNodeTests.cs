using System.Text.Json;
using ChatKit.Discovery;
using ChatKit.Fanout;
using ChatKit.Messaging;
using ChatKit.Sync;
using Microsoft.Extensions.DependencyInjection;

namespace ChatKit.Storage.Redis.Tests;

/// <summary>Two nodes (engines with their own Redis connections) serving one set of users.</summary>
public abstract class MultiNodeTests(RedisDeployment redis) : IAsyncLifetime
{
    private readonly string _prefix = RedisDeployment.UniquePrefix();
    private readonly List<TestNode> _nodes = [];

    protected TestNode A { get; private set; } = null!;

    protected TestNode B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        A = await StartNodeAsync("a");
        B = await StartNodeAsync("b");
    }

    public async Task DisposeAsync()
    {
        foreach (TestNode n in _nodes)
        {
            await n.DisposeAsync();
        }
    }

    protected async Task<TestNode> StartNodeAsync(string id, Action<ChatKitOptions>? chat = null)
    {
        TestNode node = await TestNode.StartAsync(redis.Configuration, _prefix, id, chat);
        _nodes.Add(node);
        return node;
    }

    protected static SendMessageRequest To(string from, string to, string clientMsgId, string body) =>
        new(from, "dev1", to, null, body, clientMsgId);

    protected static SendMessageRequest InGroup(string from, string channel, string clientMsgId, string body) =>
        new(from, "dev1", null, channel, body, clientMsgId);

    [Fact]
    public async Task A_message_sent_on_one_node_reaches_the_recipient_on_the_other_and_the_senders_own_session()
    {
        var alice = new SessionReader(await A.Sessions.OpenAsync("alice", "phone", 0));
        var bob = new SessionReader(await B.Sessions.OpenAsync("bob", "phone", 0));

        ChatMessage sent = await A.Engine.SendAsync(To("alice", "bob", "m1", "hello bob"));

        await bob.WaitForAsync(r => r.Entries.Count == 1, what: "bob's entry");
        Assert.Equal(1, bob.Entries[0].Seq);
        Assert.Equal("hello bob", SessionReader.Body(bob.Entries[0].Entry));
        Assert.Equal(sent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), bob.Entries[0].Entry.GetProperty("message").GetProperty("id").GetString());
        await alice.WaitForAsync(r => r.Entries.Count == 1, what: "alice's own entry");
    }

    [Fact]
    public async Task A_group_burst_from_both_nodes_reaches_every_member_on_every_node_in_order_exactly_once()
    {
        string[] members = ["u0", "u1", "u2", "u3", "u4", "u5"];
        ChannelSummary g = await A.Engine.CreateGroupAsync("u0", "team", members[1..]);
        var readers = members.Select((m, i) => (i % 2 == 0 ? A : B).Sessions.OpenAsync(m, "d", 1)).ToArray();
        var sessions = (await Task.WhenAll(readers)).Select(s => new SessionReader(s)).ToArray();

        const int PerSender = 20;
        await Task.WhenAll(members.Select((m, i) => Task.Run(async () =>
        {
            for (int k = 0; k < PerSender; k++)
            {
                await (i % 2 == 0 ? B : A).Engine.SendAsync(InGroup(m, g.Channel.Id, $"{m}-{k}", $"{m} says {k}"));
            }
        })));

        int total = members.Length * PerSender;
        foreach (SessionReader s in sessions)
        {
            await s.WaitForAsync(r => r.Entries.Count >= total, TimeSpan.FromSeconds(20), "the burst");
            Assert.Equal(Enumerable.Range(2, total).Select(i => (long)i), s.Entries.Select(e => e.Seq));
            Assert.Equal(total, s.Entries.Select(e => SessionReader.Body(e.Entry)).Distinct().Count());
        }
    }

    [Fact]
    public async Task A_user_goes_offline_and_comes_back_on_the_other_node_and_sees_everything_exactly_once()
    {
        ChatSession first = await B.Sessions.OpenAsync("bob", "phone", 0);
        var bob = new SessionReader(first);
        await A.Engine.SendAsync(To("alice", "bob", "m1", "one"));
        await bob.WaitForAsync(r => r.Entries.Count == 1);
        await B.Sessions.CloseAsync(first, SessionCloseKind.Clean);

        for (int i = 2; i <= 6; i++)
        {
            await B.Engine.SendAsync(To("alice", "bob", $"m{i}", $"msg {i}"));
        }

        var again = new SessionReader(await A.Sessions.OpenAsync("bob", "phone", bob.Entries[^1].Seq));
        await again.WaitForAsync(r => r.Entries.Count == 5);
        await A.Engine.SendAsync(To("alice", "bob", "m7", "live"));
        await again.WaitForAsync(r => r.Entries.Count == 6);
        Assert.Equal([2, 3, 4, 5, 6, 7], again.Entries.Select(e => e.Seq));
        Assert.Equal(["msg 2", "msg 3", "msg 4", "msg 5", "msg 6", "live"], again.Entries.Select(e => SessionReader.Body(e.Entry)));
    }

    [Fact]
    public async Task Typing_and_presence_cross_nodes_and_a_subscriber_sees_first_open_and_last_close_only()
    {
        var carol = new SessionReader(await B.Sessions.OpenAsync("carol", "phone", null));
        IReadOnlyList<Presence.PresenceInfo> now = await B.Engine.SubscribePresenceAsync(carol.Session, ["dave"]);
        Assert.False(Assert.Single(now).Online);

        ChatSession d1 = await A.Sessions.OpenAsync("dave", "phone", null);
        ChatSession d2 = await A.Sessions.OpenAsync("dave", "laptop", null);
        await carol.WaitForAsync(r => r.Frames.Any(f => f.GetProperty("type").GetString() == "presence"), what: "online");
        await A.Sessions.CloseAsync(d1, SessionCloseKind.Clean);
        await A.Sessions.CloseAsync(d2, SessionCloseKind.Clean);
        await carol.WaitForAsync(r => r.Frames.Count(f => f.GetProperty("type").GetString() == "presence") == 2, what: "offline");
        string[] statuses = carol.Frames.Where(f => f.GetProperty("type").GetString() == "presence").Select(f => f.GetProperty("status").GetString()!).ToArray();
        Assert.Equal(["online", "offline"], statuses);

        await A.Engine.SendAsync(To("dave", "carol", "x", "hi"));
        await A.Engine.TypingAsync("dave", ChannelIds.Direct("carol", "dave"));
        await carol.WaitForAsync(r => r.Frames.Any(f => f.GetProperty("type").GetString() == "typing"), what: "typing");
    }

    [Fact]
    public async Task Discovery_picks_the_node_with_most_spare_capacity_and_never_a_draining_or_stopped_one()
    {
        TestNode c = await StartNodeAsync("c", o => o.NodeCapacity = 10);
        TestNode d = await StartNodeAsync("d", o => o.NodeCapacity = 10);
        await A.StopAsync();
        await B.StopAsync();
        for (int i = 0; i < 3; i++)
        {
            await c.Sessions.OpenAsync("c-user" + i, "x", null);
        }

        NodeDiscovery fromC = c.Services.GetRequiredService<NodeDiscovery>();
        NodeDiscovery fromD = d.Services.GetRequiredService<NodeDiscovery>();
        await fromC.BeatAsync();
        await fromD.BeatAsync();
        Assert.Equal("d", (await fromC.ChooseNodeAsync())!.Id);
        Assert.Equal("d", (await fromD.ChooseNodeAsync())!.Id);

        d.Sessions.Drain();
        await fromD.BeatAsync();
        Assert.Equal("c", (await fromC.ChooseNodeAsync())!.Id);

        await c.StopAsync();
        Assert.Null(await fromD.ChooseNodeAsync());
    }

    [Fact]
    public async Task A_member_removed_and_added_back_has_the_group_listed_again_while_messages_arrive()
    {
        var bob = new SessionReader(await B.Sessions.OpenAsync("bob", "phone", 0));
        string g = (await A.Engine.CreateGroupAsync("alice", "team", ["bob"])).Channel.Id;
        await A.Engine.SendAsync(InGroup("alice", g, "m1", "first"));
        await bob.WaitForAsync(r => r.Entries.Count == 2, what: "added and first");

        await A.Engine.RemoveMembersAsync("alice", g, ["bob"]);
        await bob.WaitForAsync(r => r.Entries.Count == 3, what: "removed");
        Assert.DoesNotContain(await B.Engine.GetChannelsAsync("bob"), s => s.Channel.Id == g);

        // Bob's inbox has applied jobs of this group before: only the entry that adds him may list it again.
        await A.Engine.AddMembersAsync("alice", g, ["bob"]);
        await A.Engine.SendAsync(InGroup("alice", g, "m2", "again"));
        await bob.WaitForAsync(r => r.Entries.Count == 5, what: "added again and the next message");
        Assert.Single(await B.Engine.GetChannelsAsync("bob"), s => s.Channel.Id == g);
        Assert.Equal("again", SessionReader.Body(bob.Entries[4].Entry));
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneMultiNodeTests(StandaloneRedis redis) : MultiNodeTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterMultiNodeTests(ClusterRedis redis) : MultiNodeTests(redis);
