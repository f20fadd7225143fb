using System.Text.Json;
using ChatKit.Fanout;
using ChatKit.Presence;
using ChatKit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static ChatKit.Tests.Infrastructure.SessionReader;

namespace ChatKit.Tests.Presence;

/// <summary>Presence through sessions (PROTOCOL.md section 6): first open and last close only, grace for dropped connections.</summary>
public sealed class PresenceTests
{
    private static List<(string User, string Status)> PresenceFrames(IEnumerable<JsonElement> frames) =>
        frames.Where(x => Type(x) == "presence").Select(x => (x.GetProperty("user").GetString()!, x.GetProperty("status").GetString()!)).ToList();

    [Fact]
    public async Task Subscribers_see_only_the_first_open_and_the_last_close()
    {
        await using var f = ChatKitFixture.Create(fakeClock: true);
        ChatSession watcher = await f.Sessions.OpenAsync("wendy", "phone", null);
        IReadOnlyList<PresenceInfo> initial = await f.Engine.SubscribePresenceAsync(watcher, ["alice"]);
        Assert.Equal(new PresenceInfo("alice", false, null), Assert.Single(initial));
        Drain(watcher);

        ChatSession phone = await f.Sessions.OpenAsync("alice", "phone", null);
        ChatSession laptop = await f.Sessions.OpenAsync("alice", "laptop", null);
        Assert.Equal([("alice", "online")], PresenceFrames(Drain(watcher)));

        await f.Sessions.CloseAsync(phone, SessionCloseKind.Clean);
        Assert.Empty(PresenceFrames(Drain(watcher)));
        Assert.True((await f.Engine.GetPresenceAsync(["alice"]))[0].Online);

        f.Clock!.Advance(TimeSpan.FromSeconds(30));
        await f.Sessions.CloseAsync(laptop, SessionCloseKind.Clean);
        List<JsonElement> frames = Drain(watcher);
        Assert.Equal([("alice", "offline")], PresenceFrames(frames));
        Assert.Equal(f.Clock.GetUtcNow().ToUnixTimeMilliseconds(), frames.Single().GetProperty("lastActiveAt").GetInt64());
        PresenceInfo now = (await f.Engine.GetPresenceAsync(["alice"]))[0];
        Assert.False(now.Online);
        Assert.Equal(f.Clock.GetUtcNow(), now.LastActiveAt);
    }

    [Fact]
    public async Task A_dropped_connection_stays_online_for_the_grace_period()
    {
        await using var f = ChatKitFixture.Create(o => o.PresenceGracePeriod = TimeSpan.FromSeconds(5), fakeClock: true);
        ChatSession watcher = await f.Sessions.OpenAsync("wendy", "phone", null);
        await f.Engine.SubscribePresenceAsync(watcher, ["alice"]);
        ChatSession phone = await f.Sessions.OpenAsync("alice", "phone", null);
        Drain(watcher);

        await f.Sessions.CloseAsync(phone, SessionCloseKind.Dropped); // the grace runs in the background
        Assert.False(f.Sessions.HasSessions("alice")); // no longer delivered to at once
        f.Clock!.Advance(TimeSpan.FromSeconds(4));
        await Task.Delay(50);
        Assert.Empty(PresenceFrames(Drain(watcher)));
        Assert.True((await f.Engine.GetPresenceAsync(["alice"]))[0].Online);

        f.Clock.Advance(TimeSpan.FromSeconds(1));
        var frames = new List<JsonElement>();
        await ReadUntilAsync(watcher, fs => PresenceFrames(fs).Count > 0, frames);
        Assert.Equal([("alice", "offline")], PresenceFrames(frames));
        Assert.False((await f.Engine.GetPresenceAsync(["alice"]))[0].Online);
    }

    [Fact]
    public async Task Reconnecting_within_the_grace_period_shows_no_flapping()
    {
        var store = new CountingPresenceStore();
        await using var f = ChatKitFixture.Create(o => o.PresenceGracePeriod = TimeSpan.FromSeconds(5),
            s => s.AddSingleton<IPresenceStore>(store), fakeClock: true);
        ChatSession watcher = await f.Sessions.OpenAsync("wendy", "phone", null);
        await f.Engine.SubscribePresenceAsync(watcher, ["alice"]);
        ChatSession first = await f.Sessions.OpenAsync("alice", "phone", null);

        await f.Sessions.CloseAsync(first, SessionCloseKind.Dropped);
        f.Clock!.Advance(TimeSpan.FromSeconds(2));
        ChatSession second = await f.Sessions.OpenAsync("alice", "phone", null);
        f.Clock.Advance(TimeSpan.FromSeconds(4));

        // The first session's removal after its grace period is not the last close: nothing to announce.
        await EventuallyAsync(() => store.Removed == 1, "the dropped session's grace to run");
        Assert.Equal([("alice", "online")], PresenceFrames(Drain(watcher)));
        Assert.True((await f.Engine.GetPresenceAsync(["alice"]))[0].Online);

        await f.Sessions.CloseAsync(second, SessionCloseKind.Clean);
        Assert.Equal([("alice", "offline")], PresenceFrames(Drain(watcher)));
    }

    [Fact]
    public async Task The_servers_heartbeat_close_ends_presence_at_once()
    {
        await using var f = ChatKitFixture.Create(o => o.HeartbeatInterval = TimeSpan.FromSeconds(1), fakeClock: true);
        ChatSession watcher = await f.Sessions.OpenAsync("wendy", "phone", null);
        ChatSession alice = await f.Sessions.OpenAsync("alice", "phone", null);
        await f.Engine.SubscribePresenceAsync(watcher, ["alice"]);

        f.Clock!.Advance(TimeSpan.FromSeconds(2));
        f.Engine.Touch(watcher);
        f.Clock.Advance(TimeSpan.FromSeconds(2));
        f.Sessions.SweepSilentSessions();
        Assert.Equal(4000, alice.CloseCode);
        Assert.Null(watcher.CloseCode);

        // The transport closes the socket and reports a clean close for a 4000 of its own.
        await f.Sessions.CloseAsync(alice, SessionCloseKind.Clean);
        Assert.Contains(("alice", "offline"), PresenceFrames(Drain(watcher)));
    }

    [Fact]
    public async Task Only_subscribed_sessions_get_presence_and_unsubscribing_stops_it()
    {
        await using var f = ChatKitFixture.Create(fakeClock: true);
        ChatSession sub = await f.Sessions.OpenAsync("wendy", "phone", null);
        ChatSession other = await f.Sessions.OpenAsync("oscar", "phone", null);
        await f.Engine.SubscribePresenceAsync(sub, ["alice", "bob"]);
        await f.Engine.SubscribePresenceAsync(other, ["bob"]);
        Drain(sub);
        Drain(other);

        ChatSession alice = await f.Sessions.OpenAsync("alice", "phone", null);
        Assert.Equal([("alice", "online")], PresenceFrames(Drain(sub)));
        Assert.Empty(PresenceFrames(Drain(other)));

        f.Engine.UnsubscribePresence(sub, ["alice"]);
        await f.Sessions.CloseAsync(alice, SessionCloseKind.Clean);
        Assert.Empty(PresenceFrames(Drain(sub)));

        ChatSession bob = await f.Sessions.OpenAsync("bob", "phone", null);
        Assert.Equal([("bob", "online")], PresenceFrames(Drain(sub)));
        Assert.Equal([("bob", "online")], PresenceFrames(Drain(other)));

        // A closed session's subscriptions end with it.
        await f.Sessions.CloseAsync(other, SessionCloseKind.Clean);
        await f.Sessions.CloseAsync(bob, SessionCloseKind.Clean);
        Assert.Equal([("bob", "offline")], PresenceFrames(Drain(sub)));
        Assert.Empty(PresenceFrames(Drain(other)));
    }

    [Fact]
    public async Task Activity_updates_lastActiveAt()
    {
        await using var f = ChatKitFixture.Create(fakeClock: true);
        ChatSession alice = await f.Sessions.OpenAsync("alice", "phone", null);
        DateTimeOffset opened = f.Clock!.GetUtcNow();
        Assert.Equal(opened, (await f.Engine.GetPresenceAsync(["alice"]))[0].LastActiveAt);

        f.Clock.Advance(TimeSpan.FromMinutes(2));
        f.Engine.Touch(alice);
        DateTimeOffset touched = f.Clock.GetUtcNow();

        PresenceInfo p = default;
        await EventuallyAsync(() =>
        {
            p = f.Engine.GetPresenceAsync(["alice"]).GetAwaiter().GetResult()[0];
            return p.LastActiveAt == touched;
        }, "lastActiveAt to follow the touch");
        Assert.True(p.Online);
    }

    [Fact]
    public async Task An_open_session_writes_its_activity_at_most_once_per_touch_interval()
    {
        var store = new CountingPresenceStore();
        await using var f = ChatKitFixture.Create(o => o.PresenceTouchInterval = TimeSpan.FromSeconds(60),
            s => s.AddSingleton<IPresenceStore>(store), fakeClock: true);
        ChatSession alice = await f.Sessions.OpenAsync("alice", "phone", null);
        DateTimeOffset opened = f.Clock!.GetUtcNow();

        // Frames within the interval after the open (which recorded the activity) write nothing.
        for (int i = 0; i < 4; i++)
        {
            f.Clock.Advance(TimeSpan.FromSeconds(14));
            f.Engine.Touch(alice);
        }

        Assert.Equal(0, store.Touches);
        Assert.Equal(opened, (await f.Engine.GetPresenceAsync(["alice"]))[0].LastActiveAt);

        f.Clock.Advance(TimeSpan.FromSeconds(4)); // 60 s after the open
        f.Engine.Touch(alice);
        DateTimeOffset touched = f.Clock.GetUtcNow();
        await EventuallyAsync(() => store.Touches == 1, "the touch due after the interval");
        f.Clock.Advance(TimeSpan.FromSeconds(59));
        f.Engine.Touch(alice);
        Assert.Equal(1, store.Touches);
        Assert.Equal(touched, (await f.Engine.GetPresenceAsync(["alice"]))[0].LastActiveAt);

        // Closing records the activity whatever the interval.
        await f.Sessions.CloseAsync(alice, SessionCloseKind.Clean);
        PresenceInfo closed = (await f.Engine.GetPresenceAsync(["alice"]))[0];
        Assert.False(closed.Online);
        Assert.Equal(f.Clock.GetUtcNow(), closed.LastActiveAt);
    }

    /// <summary>The in-memory store, counting removed sessions and touches.</summary>
    private sealed class CountingPresenceStore : IPresenceStore
    {
        private readonly InMemoryPresenceStore _inner = new();
        private int _removed;
        private int _touches;

        public int Removed => Volatile.Read(ref _removed);

        public int Touches => Volatile.Read(ref _touches);

        public ValueTask<bool> AddSessionAsync(string user, string sessionId, string nodeId, DateTimeOffset at, CancellationToken cancellationToken = default) =>
            _inner.AddSessionAsync(user, sessionId, nodeId, at, cancellationToken);

        public ValueTask<bool> RemoveSessionAsync(string user, string sessionId, DateTimeOffset at, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _removed);
            return _inner.RemoveSessionAsync(user, sessionId, at, cancellationToken);
        }

        public ValueTask TouchAsync(string user, DateTimeOffset at, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _touches);
            return _inner.TouchAsync(user, at, cancellationToken);
        }

        public ValueTask<IReadOnlyList<PresenceInfo>> GetAsync(IReadOnlyList<string> users, CancellationToken cancellationToken = default) =>
            _inner.GetAsync(users, cancellationToken);
    }
}
