using ChatKit.Client.Tests.Fakes;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;

namespace ChatKit.Client.Tests;

public sealed class InboxTests
{
    [Fact]
    public async Task Entries_raise_typed_events_in_order_and_the_cursor_moves_only_after_the_handlers()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.AutoWelcome = false);
        var store = new InMemoryCursorStore(0);
        await using ChatClient client = TestClients.Create(server, store: store);
        var log = new EventLog(client);
        var cursorSeenByHandlers = new List<long?>();
        client.MessageReceived += async e =>
        {
            cursorSeenByHandlers.Add(store.Cursor);
            await Task.Yield();
            cursorSeenByHandlers.Add(store.Cursor);
        };
        client.ReadReceived += _ => { cursorSeenByHandlers.Add(store.Cursor); return Task.CompletedTask; };

        Task connecting = client.ConnectAsync();
        FakeSession session = await server.NextSessionAsync();
        session.Enqueue("""{"type":"welcome","user":"alice","device":"laptop","head":0,"heartbeatMs":15000}""");
        await connecting;
        session.Enqueue(FakeChatServer.Entry(1, FakeChatServer.MakeMessage("g-19", "bob", "hi")));
        session.Enqueue("""{"type":"entry","seq":2,"kind":"read","channel":"g-19","upTo":17,"future":{"x":1}}""");
        session.Enqueue("""{"type":"entry","seq":3,"kind":"member","channel":"g-19","user":"dave","change":"added","by":"alice"}""");
        session.Enqueue("""{"type":"entry","seq":4,"kind":"from-the-future"}""");
        session.Enqueue("""{"type":"typing","channel":"g-19","user":"bob"}""");
        session.Enqueue("""{"type":"receipt","channel":"g-19","user":"bob","upTo":17}""");
        session.Enqueue("""{"type":"presence","user":"bob","status":"offline","lastActiveAt":1764061200000}""");
        session.Enqueue("""{"type":"something-new","x":1}""");
        session.Enqueue(FakeChatServer.Entry(5, FakeChatServer.MakeMessage("g-19", "bob", "after", 2)));

        await log.WaitForNthAsync<MessageReceivedEventArgs>(2);
        await log.WaitUntilAsync(_ => client.Cursor == 5, what: "cursor 5");

        Assert.Equal([0L, 0L, 1L, 4L, 4L], cursorSeenByHandlers);
        Assert.Equal(5, store.Cursor);
        Assert.Equal(new ReadReceivedEventArgs(2, "g-19", 17), Assert.Single(log.Of<ReadReceivedEventArgs>()));
        MemberChangedEventArgs member = Assert.Single(log.Of<MemberChangedEventArgs>());
        Assert.Equal(("g-19", "dave", true, "alice", 3L), (member.Channel, member.User, member.IsAdded, member.By, member.Seq));
        Assert.Equal(new TypingEventArgs("g-19", "bob"), Assert.Single(log.Of<TypingEventArgs>()));
        Assert.Equal(new ReceiptEventArgs("g-19", "bob", 17), Assert.Single(log.Of<ReceiptEventArgs>()));
        PresenceChangedEventArgs presence = Assert.Single(log.Of<PresenceChangedEventArgs>());
        Assert.False(presence.IsOnline);
        Assert.Equal(
            ["Connected", "MessageReceived", "ReadReceived", "MemberChanged", "Typing", "Receipt", "PresenceChanged", "MessageReceived"],
            log.All.Select(e => e.GetType().Name.Replace("EventArgs", "", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Duplicate_and_old_entries_are_dropped()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.AutoWelcome = false);
        await using ChatClient client = TestClients.Create(server, store: new InMemoryCursorStore(0));
        var log = new EventLog(client);
        Task connecting = client.ConnectAsync();
        FakeSession session = await server.NextSessionAsync();
        session.Enqueue("""{"type":"welcome","user":"alice","device":"laptop","head":0,"heartbeatMs":15000}""");
        await connecting;

        string e1 = FakeChatServer.Entry(1, FakeChatServer.MakeMessage("g-1", "bob", "one", 1));
        string e2 = FakeChatServer.Entry(2, FakeChatServer.MakeMessage("g-1", "bob", "two", 2));
        string e3 = FakeChatServer.Entry(3, FakeChatServer.MakeMessage("g-1", "bob", "three", 3));
        session.Enqueue(e1);
        session.Enqueue(e2);
        session.Enqueue(e2);
        session.Enqueue(e1);
        session.Enqueue(e3);
        session.Enqueue(e3);
        await log.WaitForNthAsync<MessageReceivedEventArgs>(3);
        await client.PingAsync(); // everything sent before the pong has been read

        Assert.Equal(["one", "two", "three"], log.Bodies);
        Assert.Equal(3, client.Cursor);
    }

    [Fact]
    public async Task Packed_frames_are_all_handled_in_order()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.AutoWelcome = false);
        await using ChatClient client = TestClients.Create(server, store: new InMemoryCursorStore(0));
        var log = new EventLog(client);
        Task connecting = client.ConnectAsync();
        FakeSession session = await server.NextSessionAsync();

        // Welcome, backlog and a typing event in one message, with an empty segment and CRLF noise.
        session.Enqueue(
            "{\"type\":\"welcome\",\"user\":\"alice\",\"device\":\"laptop\",\"head\":3,\"heartbeatMs\":15000}\n" +
            FakeChatServer.Entry(1, FakeChatServer.MakeMessage("g-1", "bob", "a", 1)) + "\n\n" +
            FakeChatServer.Entry(2, FakeChatServer.MakeMessage("g-1", "bob", "b", 2)) + "\r\n" +
            "{\"type\":\"typing\",\"channel\":\"g-1\",\"user\":\"bob\"}\n" +
            FakeChatServer.Entry(3, FakeChatServer.MakeMessage("g-1", "bob", "c", 3)));
        await connecting;
        await log.WaitForNthAsync<MessageReceivedEventArgs>(3);

        Assert.Equal(["a", "b", "c"], log.Bodies);
        Assert.Single(log.Of<TypingEventArgs>());
    }

    [Fact]
    public async Task Reset_raises_the_event_and_moves_the_cursor_to_head()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        for (int i = 0; i < 5; i++)
        {
            server.AppendMessage("g-1", "bob", "old", deliver: false);
        }

        var store = new InMemoryCursorStore(100);
        await using ChatClient client = TestClients.Create(server, store: store);
        var log = new EventLog(client);
        var cursorInHandler = new List<long?>();
        client.Reset += _ => { cursorInHandler.Add(store.Cursor); return Task.CompletedTask; };

        await client.ConnectAsync();
        ResetEventArgs reset = await log.WaitForAsync<ResetEventArgs>();
        server.AppendMessage("g-1", "bob", "new");
        MessageReceivedEventArgs next = await log.WaitForAsync<MessageReceivedEventArgs>();

        Assert.Equal(5, reset.Head);
        Assert.Equal([100L], cursorInHandler);
        Assert.Equal((6L, "new"), (next.Seq, next.Message.Body));
        Assert.Equal(6, store.Cursor);
    }

    [Fact]
    public async Task A_gap_in_the_inbox_reconnects_from_the_cursor_and_fills_it()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        await using ChatClient client = TestClients.Create(server, store: new InMemoryCursorStore(0));
        var log = new EventLog(client);
        await client.ConnectAsync();
        FakeSession first = await server.NextSessionAsync();
        server.AppendMessage("g-1", "bob", "one");
        await log.WaitForAsync<MessageReceivedEventArgs>();

        server.AppendMessage("g-1", "bob", "two", deliver: false);
        server.AppendMessage("g-1", "bob", "three"); // seq 3 arrives live while 2 was never sent

        await log.WaitForNthAsync<MessageReceivedEventArgs>(3);
        Assert.Equal(["one", "two", "three"], log.Bodies);
        Assert.Equal([1L, 2L, 3L], log.Seqs);
        Assert.Equal(1, server.Connects.Last().After);
        Assert.IsType<InvalidDataException>(log.Of<DisconnectedEventArgs>().Single().Exception);
        await first.Ended.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_handler_may_await_requests_and_a_throwing_handler_does_not_stop_the_inbox()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        await using ChatClient client = TestClients.Create(server, store: new InMemoryCursorStore(0));
        var log = new EventLog(client);
        client.MessageReceived += async e =>
        {
            await client.MarkReadAsync(e.Message.Channel, e.Message.ChannelSeq);
            if (e.Message.Body == "boom")
            {
                throw new InvalidOperationException("handler bug");
            }
        };
        await client.ConnectAsync();
        FakeSession session = await server.NextSessionAsync();

        server.AppendMessage("g-1", "bob", "boom");
        server.AppendMessage("g-1", "bob", "fine");

        await log.WaitForNthAsync<MessageReceivedEventArgs>(2);
        await log.WaitUntilAsync(_ => client.Cursor == 2, what: "cursor 2");
        Assert.Equal("handler bug", Assert.Single(log.Of<InvalidOperationException>()).Message);
        ClientFrame read1 = await session.NextFrameAsync(FrameTypes.Read);
        ClientFrame read2 = await session.NextFrameAsync(FrameTypes.Read);
        Assert.Equal([1L, 2L], new[] { read1.UpTo!.Value, read2.UpTo!.Value });
    }

    [Fact]
    public async Task Sync_returns_entries_without_moving_the_cursor()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.Intercept = (session, frame) =>
        {
            if (frame.Type != FrameTypes.Sync)
            {
                return ValueTask.FromResult(false);
            }

            session.Enqueue(
                $"{{\"type\":\"ok\",\"rid\":\"{frame.Rid}\",\"head\":9,\"hasMore\":true,\"entries\":[" +
                FakeChatServer.Entry(8, FakeChatServer.MakeMessage("g-1", "bob", "x")) + "," +
                """{"type":"entry","seq":9,"kind":"read","channel":"g-1","upTo":1}""" + "]}");
            return ValueTask.FromResult(true);
        });
        await using ChatClient client = TestClients.Create(server, store: new InMemoryCursorStore(0));
        await client.ConnectAsync();

        SyncResult sync = await client.SyncAsync(7);

        Assert.Equal((9L, true, false), (sync.Head, sync.HasMore, sync.Reset));
        Assert.Equal(("message", "x"), (sync.Entries[0].Kind, sync.Entries[0].Message!.Body));
        Assert.Equal(("read", "g-1", 1L), (sync.Entries[1].Kind, sync.Entries[1].Channel, sync.Entries[1].UpTo!.Value));
        Assert.Equal(0, client.Cursor);
    }
}
