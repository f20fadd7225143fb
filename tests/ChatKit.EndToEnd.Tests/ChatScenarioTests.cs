using System.Net;
using System.Net.WebSockets;
using System.Text.Json;

namespace ChatKit.EndToEnd.Tests;

public sealed class ChatScenarioTests
{
    [Fact]
    public async Task Two_users_chat_and_a_client_that_was_killed_gets_what_it_missed_exactly_once()
    {
        await using SampleHost host = await SampleHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice", "laptop");
        TestClient bob = await host.ConnectAsync("bob", "phone");

        await alice.OkAsync("send", new { to = "bob", body = "hi bob", clientMsgId = "a1" });
        await bob.WaitAsync(f => f.IsMessageEntry("hi bob"));
        await bob.OkAsync("send", new { to = "alice", body = "hi alice", clientMsgId = "b1" });
        await alice.WaitAsync(f => f.IsMessageEntry("hi alice"));
        long bobCursor = bob.Entries().Max(e => e.Long("seq"));

        bob.Drop(); // killed: no close frame
        await bob.DisposeAsync();
        for (int i = 1; i <= 5; i++)
        {
            await alice.OkAsync("send", new { to = "bob", body = "missed " + i, clientMsgId = "m" + i });
        }

        await using TestClient bobAgain = await host.ConnectAsync("bob", "phone", after: bobCursor);
        List<JsonElement> got = await bobAgain.WaitEntriesAsync(5);
        await alice.OkAsync("send", new { to = "bob", body = "live", clientMsgId = "live" });
        await bobAgain.WaitAsync(f => f.IsMessageEntry("live"));
        await bobAgain.OkAsync("ping");

        got = bobAgain.Entries();
        Assert.Equal(["missed 1", "missed 2", "missed 3", "missed 4", "missed 5", "live"], got.Select(e => e.GetProperty("message").Str("body")));
        Assert.Equal(Enumerable.Range((int)bobCursor + 1, 6).Select(i => (long)i), got.Select(e => e.Long("seq")));
    }

    [Fact]
    public async Task Group_chat_with_read_marks_across_devices_and_http_send()
    {
        await using SampleHost host = await SampleHost.StartAsync();
        await using TestClient alicePhone = await host.ConnectAsync("alice", "phone");
        await using TestClient aliceWeb = await host.ConnectAsync("alice", "web");
        await using TestClient bob = await host.ConnectAsync("bob");
        await using TestClient carol = await host.ConnectAsync("carol");

        string g = (await alicePhone.OkAsync("group.create", new { name = "Lunch", members = new[] { "bob", "carol" } })).GetProperty("channel").Str("id")!;
        await aliceWeb.WaitAsync(f => f.IsEntry("member") && f.Str("user") == "alice");

        string bobToken = await host.TokenAsync("bob");
        HttpResponseMessage sent = await host.SendAsync(HttpMethod.Post, "/chatkit/messages?device=server", bobToken, new { channel = g, body = "noon?", clientMsgId = "q1" });
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        long seq = JsonDocument.Parse(await sent.Content.ReadAsStringAsync()).RootElement.Long("channelSeq");

        foreach (TestClient c in new[] { alicePhone, aliceWeb, bob, carol })
        {
            await c.WaitAsync(f => f.IsMessageEntry("noon?"));
        }

        await aliceWeb.OkAsync("read", new { channel = g, upTo = seq });
        await alicePhone.WaitAsync(f => f.IsEntry("read") && f.Str("channel") == g);
        await bob.WaitAsync(f => f.Type() == "receipt" && f.Str("user") == "alice");
        await carol.WaitAsync(f => f.Type() == "receipt" && f.Str("user") == "alice");
        Assert.Equal(0, (await alicePhone.OkAsync("channels")).GetProperty("channels")[0].Long("unread"));
    }

    [Fact]
    public async Task Long_poll_sync_with_a_bearer_token_returns_when_a_message_arrives()
    {
        await using SampleHost host = await SampleHost.StartAsync();
        string bob = await host.TokenAsync("bob");
        Task<HttpResponseMessage> poll = host.Http.GetAsync($"/chatkit/sync?device=poller&after=0&waitMs=25000&access_token={Uri.EscapeDataString(bob)}");
        await Task.Delay(200);
        Assert.False(poll.IsCompleted);
        await using TestClient alice = await host.ConnectAsync("alice");
        await alice.OkAsync("send", new { to = "bob", body = "wake up", clientMsgId = "w" });
        HttpResponseMessage response = await poll.WaitAsync(TimeSpan.FromSeconds(10));
        JsonElement body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("wake up", body.GetProperty("entries")[0].GetProperty("message").Str("body"));
    }

    [Fact]
    public async Task Presence_through_the_sample_with_a_short_grace()
    {
        await using SampleHost host = await SampleHost.StartAsync("Development", "--ChatKit:PresenceGracePeriod=00:00:00.300");
        await using TestClient alice = await host.ConnectAsync("alice");
        JsonElement reply = await alice.OkAsync("presence.sub", new { users = new[] { "bob" } });
        Assert.Equal("offline", reply.GetProperty("presence")[0].Str("status"));
        TestClient bob = await host.ConnectAsync("bob");
        await alice.WaitAsync(f => f.Type() == "presence" && f.Str("status") == "online");
        bob.Drop();
        await alice.WaitAsync(f => f.Type() == "presence" && f.Str("status") == "offline");
        await bob.DisposeAsync();
    }

    [Fact]
    public async Task Stopping_the_sample_drains_every_session_with_1012()
    {
        SampleHost host = await SampleHost.StartAsync();
        TestClient alice = await host.ConnectAsync("alice");
        Task stop = host.App.StopAsync();
        Assert.Equal((WebSocketCloseStatus)1012, await alice.WaitClosedAsync());
        Assert.Contains(alice.Frames(), f => f.Type() == "drain");
        await stop.WaitAsync(TimeSpan.FromSeconds(15));
        await alice.DisposeAsync();
        await host.DisposeAsync();
    }
}
