using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using ChatKit.Fanout;
using ChatKit.Protocol;

namespace ChatKit.Transport.WebSockets.Tests;

public sealed class CloseTests
{
    [Fact]
    public async Task Binary_message_closes_with_1003()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        await alice.SendBytesAsync([1, 2, 3], WebSocketMessageType.Binary);
        Assert.Equal((WebSocketCloseStatus)1003, await alice.WaitClosedAsync());
        await WaitFor.ConditionAsync(() => host.Sessions.Count == 0);
    }

    [Fact]
    public async Task Message_larger_than_maxFrameBytes_closes_with_1009()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.MaxFrameBytes = 4096);
        await using TestClient alice = await host.ConnectAsync("alice");

        // Exactly the limit is fine.
        string body = new('x', 4096 - """{"type":"send","rid":"1","to":"bob","clientMsgId":"c","body":""}""".Length);
        await alice.SendTextAsync("{\"type\":\"send\",\"rid\":\"1\",\"to\":\"bob\",\"clientMsgId\":\"c\",\"body\":\"" + body + "\"}");
        Assert.Equal("too_large", (await alice.WaitAsync(f => f.Str("rid") == "1")).Str("code"));

        await alice.SendTextAsync("{\"type\":\"send\",\"rid\":\"2\",\"to\":\"bob\",\"clientMsgId\":\"c\",\"body\":\"" + body + "x\"}");
        Assert.Equal((WebSocketCloseStatus)1009, await alice.WaitClosedAsync());
        Assert.False(alice.Has(f => f.Str("rid") == "2"));
    }

    [Fact]
    public async Task Ten_bad_frames_in_a_row_close_with_1008_after_their_errors()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        for (int i = 0; i < 9; i++)
        {
            await alice.SendTextAsync("garbage");
        }

        await alice.OkAsync(FrameTypes.Ping); // a good frame resets the count
        for (int i = 0; i < 9; i++)
        {
            await alice.SendTextAsync("garbage");
        }

        await alice.OkAsync(FrameTypes.Ping);
        Assert.Equal(WebSocketState.Open, alice.Socket.State);

        await alice.SendTextAsync(string.Join('\n', Enumerable.Repeat("{bad", 10)));
        Assert.Equal((WebSocketCloseStatus)1008, await alice.WaitClosedAsync());
        Assert.Equal(28, alice.Frames().Count(f => f.Type() == "error"));
    }

    [Fact]
    public async Task Silent_session_is_closed_with_4000_and_goes_offline_at_once()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
            o.PresenceGracePeriod = TimeSpan.FromSeconds(30);
        });
        await using TestClient watcher = await host.ConnectAsync("watcher");
        await watcher.OkAsync("presence.sub", new { users = new[] { "alice" } });
        await using TestClient alice = await host.ConnectAsync("alice");
        await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("status") == "online");

        // The watcher keeps talking; alice says nothing.
        using var cts = new CancellationTokenSource();
        Task keepAlive = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                await watcher.SendTextAsync("""{"type":"ping"}""");
                await Task.Delay(100);
            }
        });

        Assert.Equal((WebSocketCloseStatus)4000, await alice.WaitClosedAsync());
        JsonElement offline = await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("status") == "offline", TimeSpan.FromSeconds(5));
        Assert.Equal("alice", offline.Str("user"));
        await cts.CancelAsync();
        await keepAlive;
        Assert.Equal(WebSocketState.Open, watcher.Socket.State);
    }

    [Fact]
    public async Task Pings_keep_a_session_alive_past_the_heartbeat_timeout()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(200));
        await using TestClient alice = await host.ConnectAsync("alice");
        Assert.Equal(200, alice.Welcome.Long("heartbeatMs"));
        for (int i = 0; i < 12; i++)
        {
            await alice.SendTextAsync("""{"type":"ping"}""");
            await Task.Delay(100);
        }

        Assert.Equal(WebSocketState.Open, alice.Socket.State);
    }

    [Fact]
    public async Task Slow_consumer_is_closed_with_4009_without_touching_others()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o =>
        {
            o.SessionQueueCapacity = 16;
            o.MaxBodyChars = 60_000;
        });
        await using TestClient slow = await host.ConnectAsync("slow", startReading: false);
        await using TestClient bystander = await host.ConnectAsync("bystander");
        ChatSession slowSession = host.Sessions.SessionsOf("slow").Single();

        string body = new('x', 60_000);
        int sent = 0;
        int small = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (slowSession.CloseCode is null && DateTime.UtcNow < deadline)
        {
            await host.Engine.SendAsync(new Messaging.SendMessageRequest("src", "d1", "slow", null, body, "c" + sent++));
            if (sent % 10 == 0)
            {
                await host.Engine.SendAsync(new Messaging.SendMessageRequest("src", "d1", "bystander", null, "small", "s" + small++));
            }
        }

        Assert.Equal(CloseCodes.SlowConsumer, slowSession.CloseCode);
        Assert.Equal((WebSocketCloseStatus)4009, await slow.WaitClosedAsync(TimeSpan.FromSeconds(20)));

        // Another session, sharing the node, got everything and stays open.
        await bystander.WaitEntriesAsync(small);
        Assert.Equal("pong", (await bystander.RequestAsync("ping")).Type());

        // The slow device loses nothing: it resumes from its cursor.
        long cursor = slow.Entries().Select(e => e.Long("seq")).DefaultIfEmpty(0).Max();
        await using TestClient again = await host.ConnectAsync("slow", after: cursor);
        List<JsonElement> rest = await again.WaitEntriesAsync(sent - (int)cursor, TimeSpan.FromSeconds(20));
        Assert.Equal(Enumerable.Range((int)cursor + 1, sent - (int)cursor).Select(i => (long)i), rest.Select(e => e.Long("seq")));
    }

    [Fact]
    public async Task Graceful_shutdown_sends_drain_then_closes_with_1012()
    {
        ChatKitHost host = await ChatKitHost.StartAsync(o => o.DrainRetryAfter = TimeSpan.FromMilliseconds(750));
        TestClient alice = await host.ConnectAsync("alice");
        TestClient bob = await host.ConnectAsync("bob");

        Task stopping = host.App.StopAsync();
        Assert.Equal((WebSocketCloseStatus)1012, await alice.WaitClosedAsync());
        Assert.Equal((WebSocketCloseStatus)1012, await bob.WaitClosedAsync());
        JsonElement drain = alice.Frames().Single(f => f.Type() == "drain");
        Assert.Equal(750, drain.Long("retryAfterMs"));
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));

        await alice.DisposeAsync();
        await bob.DisposeAsync();
        await host.DisposeAsync();
    }

    [Fact]
    public async Task Logout_closes_the_device_with_1000_and_leaves_other_devices_open()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.PresenceGracePeriod = TimeSpan.FromSeconds(30));
        await using TestClient watcher = await host.ConnectAsync("watcher");
        await watcher.OkAsync("presence.sub", new { users = new[] { "alice" } });
        await using TestClient phone = await host.ConnectAsync("alice", "phone");
        await using TestClient laptop = await host.ConnectAsync("alice", "laptop");

        HttpResponseMessage response = await host.Http.SendAsync(host.Request(HttpMethod.Post, "/chatkit/logout?device=phone", "alice"));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(1, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Long("closed"));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await phone.WaitClosedAsync());
        Assert.Equal("pong", (await laptop.RequestAsync("ping")).Type());

        await laptop.CloseAsync();
        JsonElement offline = await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("status") == "offline");
        Assert.Equal("alice", offline.Str("user"));
    }

    [Fact]
    public async Task Connecting_to_a_draining_node_is_refused_with_503()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        host.Sessions.Drain();
        Assert.Equal(503, await TestClient.HandshakeStatusAsync(host.WebSocketEndpoint, ChatKitHost.Token("alice"), "device=d1"));
        HttpResponseMessage health = await host.Http.GetAsync("/chatkit/health");
        Assert.Equal(503, (int)health.StatusCode);
        Assert.Contains("\"draining\":true", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unread_bytes_of_an_oversized_message_do_not_keep_the_socket_open()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.MaxFrameBytes = 1024);
        await using TestClient alice = await host.ConnectAsync("alice");
        byte[] big = Encoding.UTF8.GetBytes(new string('x', 300_000));
        _ = alice.SendBytesAsync(big, WebSocketMessageType.Text);
        Assert.Equal((WebSocketCloseStatus)1009, await alice.WaitClosedAsync());
    }

    [Fact]
    public async Task Expired_authentication_closes_with_4001()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await TestClient.ConnectAsync(host.WebSocketEndpoint, "tok-alice~400", "d1");
        Assert.Equal("alice", alice.Welcome.Str("user"));
        Assert.Equal((WebSocketCloseStatus)4001, await alice.WaitClosedAsync());

        await using ChatKitHost lenient = await ChatKitHost.StartAsync(endpoint: o => o.CloseOnAuthenticationExpiration = false);
        await using TestClient bob = await TestClient.ConnectAsync(lenient.WebSocketEndpoint, "tok-bob~200", "d1");
        await Task.Delay(400);
        Assert.Equal("pong", (await bob.RequestAsync("ping")).Type());
    }
}
