using System.Net.WebSockets;
using ChatKit.Client.Tests.Fakes;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;

namespace ChatKit.Client.Tests;

public sealed class ReconnectTests
{
    [Fact]
    public async Task A_dropped_connection_reconnects_with_backoff_and_resumes_from_the_cursor()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        await using ChatClient client = TestClients.Create(server, o => o.ReconnectPolicy = new ChatReconnectPolicy
        {
            MinDelay = TimeSpan.FromMilliseconds(150),
            MaxDelay = TimeSpan.FromMilliseconds(300),
        });
        var log = new EventLog(client);
        await client.ConnectAsync();
        FakeSession first = await server.NextSessionAsync();
        server.AppendMessage("g-1", "bob", "one");
        server.AppendMessage("g-1", "bob", "two");
        await log.WaitForNthAsync<MessageReceivedEventArgs>(2);

        first.Abort();
        server.AppendMessage("g-1", "bob", "three while away");
        FakeSession second = await server.NextSessionAsync();
        await log.WaitForNthAsync<MessageReceivedEventArgs>(3);

        Assert.Equal(["one", "two", "three while away"], log.Bodies);
        ConnectInfo[] connects = [.. server.Connects];
        Assert.Equal(2, connects[1].After);
        Assert.True(connects[1].At - connects[0].At >= TimeSpan.FromMilliseconds(140), "the reconnect waited at least MinDelay");
        DisconnectedEventArgs disconnected = Assert.Single(log.Of<DisconnectedEventArgs>());
        Assert.True(disconnected.WillReconnect);
        ReconnectingEventArgs reconnecting = Assert.Single(log.Of<ReconnectingEventArgs>());
        Assert.Equal(1, reconnecting.Attempt);
        Assert.InRange(reconnecting.Delay, TimeSpan.FromMilliseconds(150), TimeSpan.FromMilliseconds(300));
        ConnectedEventArgs again = await log.WaitForNthAsync<ConnectedEventArgs>(2);
        Assert.True(again.IsReconnect);
        Assert.Equal(ChatConnectionState.Connected, client.State);
        Assert.NotNull(second);
    }

    [Fact]
    public async Task Failed_attempts_back_off_until_the_server_is_back()
    {
        const int Refusals = 3;
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        await using ChatClient client = TestClients.Create(server);
        var log = new EventLog(client);
        await client.ConnectAsync();
        FakeSession first = await server.NextSessionAsync();

        // The server refuses three upgrades with 503 (as a node that is starting would), then accepts.
        server.RefuseWith = 503;
        first.Abort();
        await log.WaitUntilAsync(_ => server.Connects.Count >= 1 + Refusals, what: "three refused attempts");
        server.RefuseWith = null;
        await log.WaitForNthAsync<ConnectedEventArgs>(2);

        IReadOnlyList<ReconnectingEventArgs> attempts = log.Of<ReconnectingEventArgs>();
        Assert.True(attempts.Count >= 2);
        Assert.Equal(Enumerable.Range(1, attempts.Count), attempts.Select(a => a.Attempt));
        Assert.Null(attempts[0].LastError);
        ChatClientException refused = Assert.IsType<ChatClientException>(attempts[1].LastError);
        Assert.Equal((ErrorCodes.Unavailable, 503), (refused.Code, refused.HttpStatusCode));
        Assert.All(attempts.Skip(1), a => Assert.True(a.Delay >= TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public async Task Two_refusals_with_401_in_a_row_stop_reconnecting()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        await using ChatClient client = TestClients.Create(server);
        var log = new EventLog(client);
        await client.ConnectAsync();
        FakeSession first = await server.NextSessionAsync();

        server.RequiredToken = "nobody-has-this";
        first.Abort();

        await log.WaitUntilAsync(_ => log.Of<DisconnectedEventArgs>().Any(d => !d.WillReconnect), what: "final Disconnected");
        Assert.Equal(ChatConnectionState.Disconnected, client.State);
        Assert.Equal(3, server.Connects.Count);
        ChatClientException ex = await Assert.ThrowsAsync<ChatClientException>(() => client.PingAsync());
        Assert.Equal(ErrorCodes.Unavailable, ex.Code);
    }

    [Fact]
    public async Task A_send_in_flight_when_the_connection_drops_is_retried_with_the_same_clientMsgId_and_stored_once()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        await using ChatClient client = TestClients.Create(server, store: new InMemoryCursorStore(0));
        var log = new EventLog(client);
        await client.ConnectAsync();
        FakeSession first = await server.NextSessionAsync();
        server.Intercept = (session, frame) =>
        {
            if (frame.Type == FrameTypes.Send && session == first)
            {
                server.Store(frame, deliver: false); // stored…
                session.Abort();                     // …but the ok is lost with the connection
                return ValueTask.FromResult(true);
            }

            return ValueTask.FromResult(false);
        };

        WireMessage message = await client.SendAsync("g-1", "exactly once").WaitAsync(TimeSpan.FromSeconds(10));

        FakeSession second = await server.NextSessionAsync();
        ClientFrame lost = await first.NextFrameAsync(FrameTypes.Send);
        ClientFrame retried = await second.NextFrameAsync(FrameTypes.Send);
        Assert.Equal(lost.ClientMsgId, retried.ClientMsgId);
        Assert.NotEqual(lost.Rid, retried.Rid);
        Assert.Equal((lost.ClientMsgId, "exactly once"), (message.ClientMsgId, message.Body));
        Assert.Equal(1, server.StoredMessageCount);
        await log.WaitForAsync<MessageReceivedEventArgs>();
        await client.PingAsync();
        Assert.Equal(["exactly once"], log.Bodies);
    }

    [Fact]
    public async Task CreateGroup_is_not_retried_when_its_reply_is_lost()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        await using ChatClient client = TestClients.Create(server);
        await client.ConnectAsync();
        FakeSession first = await server.NextSessionAsync();
        server.Intercept = (session, frame) =>
        {
            if (frame.Type == FrameTypes.GroupCreate)
            {
                session.Abort();
                return ValueTask.FromResult(true);
            }

            return ValueTask.FromResult(false);
        };

        ChatClientException ex = await Assert.ThrowsAsync<ChatClientException>(() => client.CreateGroupAsync("team", ["bob"]));

        Assert.Equal(ErrorCodes.Unavailable, ex.Code);
        await first.NextFrameAsync(FrameTypes.GroupCreate);
        FakeSession second = await server.NextSessionAsync();
        await Assert.ThrowsAsync<OperationCanceledException>(() => second.NextFrameAsync(FrameTypes.GroupCreate, TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Requests_made_while_reconnecting_wait_for_the_new_connection()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        await using ChatClient client = TestClients.Create(server, o => o.ReconnectPolicy = new ChatReconnectPolicy
        {
            MinDelay = TimeSpan.FromMilliseconds(300),
            MaxDelay = TimeSpan.FromMilliseconds(400),
        });
        var log = new EventLog(client);
        await client.ConnectAsync();
        (await server.NextSessionAsync()).Abort();
        await log.WaitForAsync<ReconnectingEventArgs>();
        Assert.Equal(ChatConnectionState.Reconnecting, client.State);

        TimeSpan rtt = await client.PingAsync();

        Assert.True(rtt >= TimeSpan.Zero);
        Assert.Equal(2, server.Connects.Count);
    }

    [Fact]
    public async Task Drain_then_1012_reconnects_after_retryAfter_with_the_cursor()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        await using ChatClient client = TestClients.Create(server, store: new InMemoryCursorStore(0));
        var log = new EventLog(client);
        await client.ConnectAsync();
        FakeSession first = await server.NextSessionAsync();
        server.AppendMessage("g-1", "bob", "before drain");
        await log.WaitForAsync<MessageReceivedEventArgs>();

        first.Enqueue("""{"type":"drain","retryAfterMs":200}""");
        await Task.Yield();
        await first.CloseAsync((WebSocketCloseStatus)CloseCodes.ServiceRestart, "draining");
        FakeSession second = await server.NextSessionAsync();

        DisconnectedEventArgs disconnected = await log.WaitForAsync<DisconnectedEventArgs>();
        Assert.Equal((WebSocketCloseStatus)CloseCodes.ServiceRestart, disconnected.CloseStatus);
        Assert.Null(disconnected.Exception);
        ReconnectingEventArgs reconnecting = Assert.Single(log.Of<ReconnectingEventArgs>());
        Assert.InRange(reconnecting.Delay, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400));
        Assert.Equal(1, second.Info.After);
    }

    [Fact]
    public async Task An_idle_client_pings_every_heartbeat_and_a_silent_server_is_declared_dead()
    {
        bool answerPings = true;
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.HeartbeatMs = 200);
        server.Intercept = (_, frame) => ValueTask.FromResult(frame.Type == FrameTypes.Ping && !Volatile.Read(ref answerPings));

        // Pings every 200 ms (the server's heartbeat), but a second to answer: with the default (one interval), a
        // 200 ms stall of a loaded CI machine declared a live server dead before the test stopped answering.
        await using ChatClient client = TestClients.Create(server, o => o.HeartbeatTimeout = TimeSpan.FromSeconds(1));
        var log = new EventLog(client);
        await client.ConnectAsync();
        FakeSession first = await server.NextSessionAsync();

        ClientFrame ping1 = await first.NextFrameAsync(FrameTypes.Ping, TimeSpan.FromSeconds(2));
        ClientFrame ping2 = await first.NextFrameAsync(FrameTypes.Ping, TimeSpan.FromSeconds(2));
        Assert.NotEqual(ping1.Rid, ping2.Rid);
        Assert.Equal(ChatConnectionState.Connected, client.State);

        Volatile.Write(ref answerPings, false);
        DisconnectedEventArgs dead = await log.WaitForAsync<DisconnectedEventArgs>(timeout: TimeSpan.FromSeconds(3));

        Assert.IsType<TimeoutException>(dead.Exception);
        Assert.True(dead.WillReconnect);
        await server.NextSessionAsync();
    }

    [Fact]
    public async Task Presence_subscriptions_are_renewed_after_reconnect_and_missed_changes_raised()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        server.Presence["bob"] = new WirePresence { User = "bob", Status = "online", LastActiveAt = 1 };
        await using ChatClient client = TestClients.Create(server);
        var log = new EventLog(client);
        await client.ConnectAsync();
        FakeSession first = await server.NextSessionAsync();
        await client.SubscribePresenceAsync(["bob", "carol"]);

        server.Presence["bob"] = new WirePresence { User = "bob", Status = "offline", LastActiveAt = 2 };
        first.Abort();
        FakeSession second = await server.NextSessionAsync();

        ClientFrame resubscribe = await second.NextFrameAsync(FrameTypes.PresenceSubscribe);
        Assert.Equal(["bob", "carol"], resubscribe.Users!.Order());
        PresenceChangedEventArgs missed = await log.WaitForAsync<PresenceChangedEventArgs>();
        Assert.Equal(("bob", "offline", 2L), (missed.User, missed.Status, missed.LastActiveAt));
        await client.PingAsync();
        Assert.Single(log.Of<PresenceChangedEventArgs>());
    }

    [Fact]
    public async Task AutoReconnect_off_stays_disconnected()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        await using ChatClient client = TestClients.Create(server, o => o.AutoReconnect = false);
        var log = new EventLog(client);
        await client.ConnectAsync();

        (await server.NextSessionAsync()).Abort();

        DisconnectedEventArgs disconnected = await log.WaitForAsync<DisconnectedEventArgs>();
        Assert.False(disconnected.WillReconnect);
        Assert.Equal(ChatConnectionState.Disconnected, client.State);
        Assert.Single(server.Connects);
    }
}
