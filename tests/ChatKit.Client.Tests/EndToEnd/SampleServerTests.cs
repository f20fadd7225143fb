using System.Net.WebSockets;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;

namespace ChatKit.Client.Tests.EndToEnd;

/// <summary>ChatClient against the real sample server (ChatKit.Transport.WebSockets over Kestrel).</summary>
public sealed class SampleServerTests
{
    [Fact]
    public async Task Two_clients_chat_with_typing_receipts_and_read_marks_across_devices()
    {
        await using SampleServerHost server = await SampleServerHost.StartAsync();
        await using ChatClient alice = server.Client("alice", "laptop");
        await using ChatClient bob = server.Client("bob", "phone");
        await using ChatClient bobTablet = server.Client("bob", "tablet");
        var aliceLog = new EventLog(alice);
        var bobLog = new EventLog(bob);
        var tabletLog = new EventLog(bobTablet);
        await alice.ConnectAsync();
        await bob.ConnectAsync();
        await bobTablet.ConnectAsync();

        WireMessage hello = await alice.SendDirectAsync("bob", "hello bob");
        MessageReceivedEventArgs atBob = await bobLog.WaitForAsync<MessageReceivedEventArgs>();
        await aliceLog.WaitForAsync<MessageReceivedEventArgs>(); // her own message, for her other devices
        await tabletLog.WaitForAsync<MessageReceivedEventArgs>();

        Assert.Equal((hello.Id, "alice", "hello bob"), (atBob.Message.Id, atBob.Message.From, atBob.Message.Body));
        string channel = atBob.Message.Channel;

        await bob.TypingAsync(channel);
        TypingEventArgs typing = await aliceLog.WaitForAsync<TypingEventArgs>();
        Assert.Equal((channel, "bob"), (typing.Channel, typing.User));

        await bob.SendAsync(channel, "hi alice");
        await aliceLog.WaitForNthAsync<MessageReceivedEventArgs>(2);
        Assert.Equal(["hello bob", "hi alice"], aliceLog.Bodies);

        await bob.MarkReadAsync(channel, 2);
        ReceiptEventArgs receipt = await aliceLog.WaitForAsync<ReceiptEventArgs>();
        Assert.Equal((channel, "bob", 2L), (receipt.Channel, receipt.User, receipt.UpTo));
        ReadReceivedEventArgs read = await tabletLog.WaitForAsync<ReadReceivedEventArgs>();
        Assert.Equal((channel, 2L), (read.Channel, read.UpTo));
        Assert.Equal(["hello bob", "hi alice"], tabletLog.Bodies);

        HistoryResult history = await alice.HistoryAsync(channel);
        Assert.Equal(["hello bob", "hi alice"], history.Messages.Select(m => m.Body));
        WireChannel listed = Assert.Single(await alice.ChannelsAsync());
        Assert.Equal((channel, 1L), (listed.Id, listed.Unread));
    }

    [Fact]
    public async Task A_restarted_client_with_the_same_cursor_store_sees_missed_messages_exactly_once()
    {
        await using SampleServerHost server = await SampleServerHost.StartAsync();
        await using ChatClient alice = server.Client("alice");
        await alice.ConnectAsync();
        var bobCursor = new InMemoryCursorStore();

        await using (ChatClient bob = server.Client("bob", "phone", bobCursor))
        {
            var log = new EventLog(bob);
            await bob.ConnectAsync();
            await alice.SendDirectAsync("bob", "seen live");
            await log.WaitForAsync<MessageReceivedEventArgs>();
        }

        for (int i = 1; i <= 3; i++)
        {
            await alice.SendDirectAsync("bob", "missed " + i);
        }

        await using ChatClient bobAgain = server.Client("bob", "phone", bobCursor);
        var again = new EventLog(bobAgain);
        await bobAgain.ConnectAsync();
        await again.WaitForNthAsync<MessageReceivedEventArgs>(3);
        await alice.SendDirectAsync("bob", "live again");
        await again.WaitForNthAsync<MessageReceivedEventArgs>(4);
        await bobAgain.PingAsync();

        Assert.Equal(["missed 1", "missed 2", "missed 3", "live again"], again.Bodies);
        Assert.True(Assert.Single(again.Of<ConnectedEventArgs>()).Resumed);
        Assert.Equal(again.Seqs[^1], bobCursor.Cursor);
    }

    [Fact]
    public async Task Dropped_connections_during_a_stream_of_messages_lose_and_repeat_nothing()
    {
        await using SampleServerHost server = await SampleServerHost.StartAsync();
        await using ChatClient alice = server.Client("alice");
        await using ChatClient bob = server.Client("bob", "phone");
        var log = new EventLog(bob);
        await alice.ConnectAsync();
        await bob.ConnectAsync();

        const int Count = 60;
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < Count; i++)
            {
                await alice.SendDirectAsync("bob", "m" + i);
            }
        });
        for (int drop = 0; drop < 3; drop++)
        {
            await log.WaitUntilAsync(l => l.Bodies.Count > (drop + 1) * 10 || sending.IsCompleted, what: "more messages");
            bob.AbortConnection();
        }

        await sending.WaitAsync(TimeSpan.FromSeconds(30));
        await log.WaitForNthAsync<MessageReceivedEventArgs>(Count, timeout: TimeSpan.FromSeconds(20));
        await bob.PingAsync();

        Assert.Equal(Enumerable.Range(0, Count).Select(i => "m" + i), log.Bodies);
        Assert.Equal(log.Seqs.Order(), log.Seqs);
        Assert.Equal(log.Seqs.Count, log.Seqs.Distinct().Count());
        Assert.True(log.Of<DisconnectedEventArgs>().Count >= 1);
    }

    [Fact]
    public async Task Sends_interrupted_by_dropped_connections_are_stored_exactly_once()
    {
        await using SampleServerHost server = await SampleServerHost.StartAsync();
        await using ChatClient alice = server.Client("alice");
        await alice.ConnectAsync();
        await alice.SendDirectAsync("bob", "open the channel");

        // Aborts land at spread-out moments: before the frame left, while the server commits, after the reply.
        const int Count = 40;
        for (int i = 0; i < Count; i++)
        {
            Task<WireMessage> send = alice.SendDirectAsync("bob", "retry " + i);
            long until = System.Diagnostics.Stopwatch.GetTimestamp() + (System.Diagnostics.Stopwatch.Frequency * i / 20_000);
            while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(10);
            }

            alice.AbortConnection();
            await send.WaitAsync(TimeSpan.FromSeconds(15));
        }

        string channel = (await alice.ChannelsAsync()).Single().Id;
        HistoryResult history = await alice.HistoryAsync(channel, limit: 100);
        Assert.Equal(["open the channel", .. Enumerable.Range(0, Count).Select(i => "retry " + i)], history.Messages.Select(m => m.Body));
    }

    [Fact]
    public async Task Groups_presence_and_membership_events()
    {
        await using SampleServerHost server = await SampleServerHost.StartAsync();
        await using ChatClient alice = server.Client("alice");
        var aliceLog = new EventLog(alice);
        await alice.ConnectAsync();
        ChatClient carol = server.Client("carol");
        var carolLog = new EventLog(carol);
        await carol.ConnectAsync();

        IReadOnlyList<WirePresence> initial = await alice.SubscribePresenceAsync(["carol"]);
        Assert.Equal("online", Assert.Single(initial).Status);

        WireChannel group = await alice.CreateGroupAsync("team", ["carol"]);
        Assert.Equal(("group", "alice"), (group.Kind, group.Owner));
        MemberChangedEventArgs joined = await carolLog.WaitForAsync<MemberChangedEventArgs>();
        Assert.Equal((group.Id, "carol", true, "alice"), (joined.Channel, joined.User, joined.IsAdded, joined.By));

        WireChannel bigger = await alice.AddMembersAsync(group.Id, ["dave"]);
        Assert.Contains("dave", bigger.Members);
        await carolLog.WaitForAsync<MemberChangedEventArgs>(e => e.User == "dave");

        ChatClientException notOwner = await Assert.ThrowsAsync<ChatClientException>(() => carol.AddMembersAsync(group.Id, ["erin"]));
        Assert.Equal(ErrorCodes.Forbidden, notOwner.Code);

        await carol.DisposeAsync(); // a clean close ends presence at once
        PresenceChangedEventArgs offline = await aliceLog.WaitForAsync<PresenceChangedEventArgs>();
        Assert.Equal(("carol", false), (offline.User, offline.IsOnline));
    }

    [Fact]
    public async Task Concurrent_sends_packed_into_few_websocket_messages_are_all_stored()
    {
        await using SampleServerHost server = await SampleServerHost.StartAsync();
        await using ChatClient alice = server.Client("alice");
        await alice.ConnectAsync();
        string channel = (await alice.SendDirectAsync("bob", "first")).Channel;

        WireMessage[] sent = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => alice.SendAsync(channel, "안녕 " + i)));

        Assert.Equal(100, sent.Select(m => m.Id).Distinct().Count());
        HistoryResult history = await alice.HistoryAsync(channel, limit: 200);
        Assert.Equal(101, history.Messages.Count);
        Assert.Equal(Enumerable.Range(1, 101).Select(i => (long)i), history.Messages.Select(m => m.ChannelSeq));
    }

    [Fact]
    public async Task An_idle_client_keeps_its_session_alive_with_pings()
    {
        await using SampleServerHost server = await SampleServerHost.StartAsync("--ChatKit:HeartbeatInterval=00:00:00.500");

        // The client pings every 500 ms; by default it would also call the server dead when a pong takes 500 ms, and
        // on a 2-core machine running the other test assemblies at the same time one did (CI, 2026-12-07). What this
        // test is about is the server's rule (a session silent for 3 × heartbeat is closed, a pinging one is kept);
        // the pong itself is checked at the end.
        await using ChatClient alice = server.Client("alice", configure: o => o.HeartbeatTimeout = TimeSpan.FromSeconds(5));
        var log = new EventLog(alice);
        await alice.ConnectAsync();
        Assert.Equal(TimeSpan.FromMilliseconds(500), alice.Session!.HeartbeatInterval);

        // A client that does not ping in time is closed with 4000 after 3 × heartbeat (1.5 s); in the same time the
        // pinging client keeps its session.
        await using ChatClient silent = server.Client("bob", configure: o => o.HeartbeatInterval = TimeSpan.FromMinutes(5));
        var silentLog = new EventLog(silent);
        await silent.ConnectAsync();
        DisconnectedEventArgs closed = await silentLog.WaitForAsync<DisconnectedEventArgs>(timeout: TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(0.5));

        Assert.Equal((WebSocketCloseStatus)CloseCodes.HeartbeatTimeout, closed.CloseStatus);
        Assert.Empty(log.Of<DisconnectedEventArgs>());
        Assert.Equal(ChatConnectionState.Connected, alice.State);
        await alice.PingAsync();
    }

    [Fact]
    public async Task A_cursor_older_than_the_retention_gets_reset_and_continues_live_after_head()
    {
        await using SampleServerHost server = await SampleServerHost.StartAsync("--ChatKit:InboxRetentionCount=3");
        await using ChatClient alice = server.Client("alice");
        await alice.ConnectAsync();
        for (int i = 0; i < 8; i++)
        {
            await alice.SendDirectAsync("bob", "old " + i);
        }

        var store = new InMemoryCursorStore(1);
        await using ChatClient bob = server.Client("bob", "phone", store);
        var log = new EventLog(bob);
        await bob.ConnectAsync();
        ResetEventArgs reset = await log.WaitForAsync<ResetEventArgs>();
        await alice.SendDirectAsync("bob", "new");
        MessageReceivedEventArgs next = await log.WaitForAsync<MessageReceivedEventArgs>();

        Assert.Equal(8, reset.Head);
        Assert.Equal((9L, "new"), (next.Seq, next.Message.Body));
        Assert.Equal(["new"], log.Bodies);
        Assert.Equal(9, store.Cursor);
    }

    [Fact]
    public async Task Stopping_the_server_drains_with_1012_and_the_client_reconnects_to_the_next_one()
    {
        SampleServerHost first = await SampleServerHost.StartAsync();
        await using ChatClient client = first.Client("alice", configure: o => o.ReconnectPolicy.MaxAttempts = 1);
        var log = new EventLog(client);
        await client.ConnectAsync();

        await first.StopAsync();
        DisconnectedEventArgs disconnected = await log.WaitForAsync<DisconnectedEventArgs>(timeout: TimeSpan.FromSeconds(20));
        await first.DisposeAsync();

        Assert.Equal((WebSocketCloseStatus)CloseCodes.ServiceRestart, disconnected.CloseStatus);
        Assert.True(disconnected.WillReconnect);
    }
}
