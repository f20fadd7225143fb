using System.Text.Json;
using ChatKit.Client.Tests.Fakes;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;

namespace ChatKit.Client.Tests;

public sealed class RequestTests
{
    [Fact]
    public async Task Replies_are_matched_by_rid_even_out_of_order()
    {
        var held = new List<ClientFrame>();
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        server.Intercept = (session, frame) =>
        {
            if (frame.Type != FrameTypes.History)
            {
                return ValueTask.FromResult(false);
            }

            lock (held)
            {
                held.Add(frame);
                if (held.Count == 2)
                {
                    // Answer the second request first, both in one packed message.
                    session.EnqueuePacked(
                        $"{{\"type\":\"ok\",\"rid\":\"{held[1].Rid}\",\"messages\":[],\"hasMore\":true}}",
                        $"{{\"type\":\"ok\",\"rid\":\"{held[0].Rid}\",\"messages\":[],\"hasMore\":false}}");
                }
            }

            return ValueTask.FromResult(true);
        };
        await using ChatClient client = TestClients.Create(server);
        await client.ConnectAsync();

        Task<HistoryResult> first = client.HistoryAsync("g-first");
        Task<HistoryResult> second = client.HistoryAsync("g-second");
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotEqual(held[0].Rid, held[1].Rid);
        Assert.Equal("g-first", held.Single(f => f.Rid == held[0].Rid).Channel);
        Assert.False((await first).HasMore);
        Assert.True((await second).HasMore);
    }

    [Fact]
    public async Task Error_reply_throws_ChatClientException_with_code_message_and_retry_after()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.Intercept = (session, frame) =>
        {
            if (frame.Type == FrameTypes.Send)
            {
                session.Enqueue($"{{\"type\":\"error\",\"rid\":\"{frame.Rid}\",\"code\":\"rate_limited\",\"message\":\"slow down\",\"retryAfterMs\":1500}}");
                return ValueTask.FromResult(true);
            }

            return ValueTask.FromResult(false);
        });
        await using ChatClient client = TestClients.Create(server);
        await client.ConnectAsync();

        ChatClientException ex = await Assert.ThrowsAsync<ChatClientException>(() => client.SendAsync("g-1", "hi"));

        Assert.Equal(ErrorCodes.RateLimited, ex.Code);
        Assert.Equal("slow down", ex.Message);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), ex.RetryAfter);
    }

    [Fact]
    public async Task A_request_without_reply_times_out_and_a_late_reply_is_ignored()
    {
        // Set when the server has seen (and swallowed) the request: on a loaded machine the client's 300 ms may run
        // out before the frame even reaches the server.
        var request = new TaskCompletionSource<(FakeSession Session, string? Rid)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.Intercept = (sess, frame) =>
        {
            if (frame.Type == FrameTypes.Channels)
            {
                request.TrySetResult((sess, frame.Rid));
                return ValueTask.FromResult(true);
            }

            return ValueTask.FromResult(false);
        });
        await using ChatClient client = TestClients.Create(server, o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));
        await client.ConnectAsync();

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Assert.ThrowsAsync<TimeoutException>(() => client.ChannelsAsync());
        TimeSpan took = System.Diagnostics.Stopwatch.GetElapsedTime(started);

        Assert.InRange(took, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        (FakeSession session, string? rid) = await request.Task.WaitAsync(TimeSpan.FromSeconds(5));
        session.Enqueue($"{{\"type\":\"ok\",\"rid\":\"{rid}\",\"channels\":[]}}");

        // The connection still answers after the late reply. The ping has the same 300 ms timeout, which a loaded
        // machine can exceed (CI saw it once), so it may take a few tries; if the late reply had broken the client,
        // none would be answered.
        long pinging = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                await client.PingAsync();
                break;
            }
            catch (TimeoutException) when (System.Diagnostics.Stopwatch.GetElapsedTime(pinging) < TimeSpan.FromSeconds(5))
            {
            }
        }

        Assert.Equal(ChatConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task Cancellation_ends_the_wait_with_OperationCanceledException()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.Intercept = (_, f) => ValueTask.FromResult(f.Type == FrameTypes.Channels));
        await using ChatClient client = TestClients.Create(server);
        await client.ConnectAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ChannelsAsync(cts.Token));
    }

    [Fact]
    public async Task Every_request_has_the_protocol_shape()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        server.Presence["bob"] = new WirePresence { User = "bob", Status = "online", LastActiveAt = 5 };
        await using ChatClient client = TestClients.Create(server);
        await client.ConnectAsync();
        FakeSession session = await server.NextSessionAsync();
        using JsonDocument meta = JsonDocument.Parse("""{"reply":"1"}""");

        WireMessage sent = await client.SendDirectAsync("bob", "hello", meta.RootElement);
        await client.SendAsync("g-1", "to group");
        await client.HistoryAsync("g-1", before: 10, limit: 20);
        await client.SyncAsync(3, limit: 7);
        await client.ChannelsAsync();
        WireChannel group = await client.CreateGroupAsync("team", ["bob", "carol"]);
        await client.AddMembersAsync("g-1", ["dave"]);
        await client.RemoveMembersAsync("g-1", ["dave"]);
        await client.MarkReadAsync("g-1", 17);
        await client.TypingAsync("g-1");
        IReadOnlyList<WirePresence> presence = await client.SubscribePresenceAsync(["bob"]);
        await client.UnsubscribePresenceAsync(["bob"]);
        await client.RegisterPushAsync("fcm", "push-token");
        await client.UnregisterPushAsync("fcm", "push-token");
        await client.PingAsync();

        Assert.Equal(("hello", "alice"), (sent.Body, sent.From));
        Assert.Equal(["alice", "bob", "carol"], group.Members);
        Assert.Equal("online", Assert.Single(presence).Status);

        var frames = new List<ClientFrame>();
        while (frames.Count < 15)
        {
            ClientFrame f = await session.NextFrameAsync();
            if (f.Rid?.StartsWith("hb", StringComparison.Ordinal) != true)
            {
                frames.Add(f);
            }
        }

        Assert.Equal(
            ["send", "send", "history", "sync", "channels", "group.create", "group.add", "group.remove", "read", "typing",
             "presence.sub", "presence.unsub", "push.register", "push.unregister", "ping"],
            frames.Select(f => f.Type));
        Assert.Equal(("bob", null, "hello"), (frames[0].To, frames[0].Channel, frames[0].Body));
        Assert.Equal("1", frames[0].Meta!.Value.GetProperty("reply").GetString());
        Assert.InRange(frames[0].ClientMsgId!.Length, 1, 64);
        Assert.NotEqual(frames[0].ClientMsgId, frames[1].ClientMsgId);
        Assert.Equal(("g-1", 10L, 20), (frames[2].Channel, frames[2].Before, frames[2].Limit));
        Assert.Equal((3L, 7), (frames[3].After, frames[3].Limit));
        Assert.Equal("team", frames[5].Name);
        Assert.Equal(["bob", "carol"], frames[5].Members!);
        Assert.Equal(["dave"], frames[6].Users!);
        Assert.Equal(("g-1", 17L), (frames[8].Channel, frames[8].UpTo));
        Assert.Null(frames[9].Rid);
        Assert.Equal(("fcm", "push-token"), (frames[12].Provider, frames[12].Token));
        Assert.All(frames.Where(f => f.Type != "typing"), f => Assert.False(string.IsNullOrEmpty(f.Rid)));
        Assert.Equal(frames.Count - 1, frames.Where(f => f.Rid is not null).Select(f => f.Rid).Distinct().Count());
    }

    [Fact]
    public async Task A_frame_larger_than_the_server_limit_is_refused_locally()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.MaxFrameBytes = 2048);
        await using ChatClient client = TestClients.Create(server);
        await client.ConnectAsync();

        ChatClientException ex = await Assert.ThrowsAsync<ChatClientException>(() => client.SendAsync("g-1", new string('x', 3000)));

        Assert.Equal(ErrorCodes.TooLarge, ex.Code);
        await client.PingAsync();
    }

    [Fact]
    public async Task Frames_queued_together_are_packed_and_non_ascii_text_is_not_escaped()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        await using ChatClient client = TestClients.Create(server);
        await client.ConnectAsync();
        FakeSession session = await server.NextSessionAsync();

        Task[] sends = [.. Enumerable.Range(0, 200).Select(i => client.SendAsync("g-1", "안녕 " + i))];
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(200, server.StoredMessageCount);
        Assert.True(session.MessagesReceived < 200, $"200 sends arrived in {session.MessagesReceived} WebSocket messages");
        Assert.Equal("안녕 199", (await client.HistoryAsync("g-1")).Messages[^1].Body);
    }
}
