using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ChatKit.Transport.WebSockets.Tests;

public sealed class HttpEndpointTests
{
    private static async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> SendAsync(ChatKitHost host, HttpMethod method, string path, string? user, object? body = null, string? origin = null)
    {
        HttpContent? content = body switch
        {
            null => null,
            string s => new StringContent(s, Encoding.UTF8, "application/json"),
            _ => JsonContent.Create(body),
        };
        HttpRequestMessage request = host.Request(method, path, user, content);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        HttpResponseMessage response = await host.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonElement json = text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return ((int)response.StatusCode, json, response);
    }

    [Fact]
    public async Task Discover_and_health()
    {
        // On MapChatKit's endpoint, whichever listener the suite runs on: without PublicUrl, discover answers with the
        // WebSocket URL of the HTTP request's own host, which is MapChatKit's.
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.NodeId = "n2", listener: WebSocketListener.MapChatKit);
        var (status, body, _) = await SendAsync(host, HttpMethod.Get, "/chatkit/discover", "alice");
        Assert.Equal(200, status);
        Assert.Equal("n2", body.Str("node"));
        Assert.Equal(host.WebSocketEndpoint.ToString(), body.Str("url"));
        Assert.Equal(401, (await SendAsync(host, HttpMethod.Get, "/chatkit/discover", null)).Status);

        await using TestClient alice = await host.ConnectAsync("alice");
        (status, body, _) = await SendAsync(host, HttpMethod.Get, "/chatkit/health", null);
        Assert.Equal(200, status);
        Assert.Equal(("ok", "n2", 1L, "ok"), (body.Str("status"), body.Str("node"), body.Long("sessions"), body.Str("storage")));
    }

    [Fact]
    public async Task Discover_answers_the_configured_public_url()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.PublicUrl = "wss://chat.example.com/chatkit");
        var (_, body, _) = await SendAsync(host, HttpMethod.Get, "/chatkit/discover", "alice");
        Assert.Equal("wss://chat.example.com/chatkit", body.Str("url"));
    }

    [Fact]
    public async Task Post_messages_sends_as_the_user_with_the_query_device()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.MaxBodyChars = 20);
        await using TestClient bob = await host.ConnectAsync("bob");

        var (status, body, _) = await SendAsync(host, HttpMethod.Post, "/chatkit/messages?device=server1", "alice", new { to = "bob", body = "over http", clientMsgId = "h1" });
        Assert.Equal(200, status);
        Assert.Equal(("d:alice:bob", "alice", "server1", "over http"), (body.Str("channel"), body.Str("from"), body.Str("device"), body.Str("body")));
        JsonElement entry = await bob.WaitAsync(f => f.IsEntry("message"));
        Assert.Equal(body.GetRawText(), entry.GetProperty("message").GetRawText());

        (status, body, _) = await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", new { to = "bob", body = "no device", clientMsgId = "h2" });
        Assert.Equal("http", body.Str("device"));
        var retry = await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", new { to = "bob", body = "no device", clientMsgId = "h2" });
        Assert.Equal(body.GetRawText(), retry.Body.GetRawText());

        Assert.Equal(401, (await SendAsync(host, HttpMethod.Post, "/chatkit/messages", null, new { to = "bob", body = "x", clientMsgId = "h3" })).Status);
        var bad = await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", "{not json");
        Assert.Equal((400, "bad_request"), (bad.Status, bad.Body.Str("code")));
        Assert.False(string.IsNullOrEmpty(bad.Body.Str("message")));
        Assert.Equal(400, (await SendAsync(host, HttpMethod.Post, "/chatkit/messages?device=no%20way", "alice", new { to = "bob", body = "x", clientMsgId = "h3" })).Status);
        Assert.Equal(403, (await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "carol", new { channel = "d:alice:bob", body = "x", clientMsgId = "h3" })).Status);
        Assert.Equal(404, (await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "carol", new { channel = "g-5", body = "x", clientMsgId = "h3" })).Status);
        var tooLarge = await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", new { to = "bob", body = new string('x', 21), clientMsgId = "h3" });
        Assert.Equal((413, "too_large"), (tooLarge.Status, tooLarge.Body.Str("code")));
        Assert.Equal(413, (await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", new { to = "bob", body = new string('x', 70_000), clientMsgId = "h3" })).Status);
        Assert.Equal(403, (await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", new { to = "bob", body = "x", clientMsgId = "h3" }, origin: "https://evil.example")).Status);
    }

    [Fact]
    public async Task Rate_limited_is_429_with_retry_after()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o =>
        {
            o.RateLimit.PermitsPerSecond = 0.1;
            o.RateLimit.Burst = 1;
        });
        Assert.Equal(200, (await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", new { to = "bob", body = "1", clientMsgId = "1" })).Status);
        var (status, body, response) = await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", new { to = "bob", body = "2", clientMsgId = "2" });
        Assert.Equal(429, status);
        Assert.Equal("rate_limited", body.Str("code"));
        Assert.True(body.Long("retryAfterMs") > 0);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }

    [Fact]
    public async Task History_over_http()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.MaxGroupMembers = 2);
        for (int i = 1; i <= 3; i++)
        {
            await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", new { to = "bob", body = "m" + i, clientMsgId = "c" + i });
        }

        var (status, body, _) = await SendAsync(host, HttpMethod.Get, "/chatkit/channels/d:alice:bob/messages?before=3&limit=1", "bob");
        Assert.Equal(200, status);
        Assert.Equal("m2", body.GetProperty("messages")[0].Str("body"));
        Assert.True(body.Bool("hasMore"));
        Assert.Equal(3, (await SendAsync(host, HttpMethod.Get, "/chatkit/channels/d%3Aalice%3Abob/messages", "alice")).Body.GetProperty("messages").GetArrayLength());
        Assert.Equal(403, (await SendAsync(host, HttpMethod.Get, "/chatkit/channels/d:alice:bob/messages", "carol")).Status);
        Assert.Equal(404, (await SendAsync(host, HttpMethod.Get, "/chatkit/channels/g-77/messages", "carol")).Status);
        Assert.Equal(400, (await SendAsync(host, HttpMethod.Get, "/chatkit/channels/nonsense/messages", "carol")).Status);
        Assert.Equal(400, (await SendAsync(host, HttpMethod.Get, "/chatkit/channels/d:alice:bob/messages?limit=abc", "alice")).Status);
        Assert.Equal(401, (await SendAsync(host, HttpMethod.Get, "/chatkit/channels/d:alice:bob/messages", null)).Status);
    }

    [Fact]
    public async Task Sync_over_http_and_long_poll_returns_when_a_message_arrives()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.InboxRetentionCount = 2);
        await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", new { to = "bob", body = "one", clientMsgId = "1" });
        var (status, body, _) = await SendAsync(host, HttpMethod.Get, "/chatkit/sync?device=web&after=0", "bob");
        Assert.Equal(200, status);
        Assert.Equal(1, body.Long("head"));
        Assert.Equal("one", body.GetProperty("entries")[0].GetProperty("message").Str("body"));
        Assert.False(body.Bool("hasMore"));
        Assert.False(body.Bool("reset"));

        var started = DateTime.UtcNow;
        Task<(int Status, JsonElement Body, HttpResponseMessage Response)> poll = SendAsync(host, HttpMethod.Get, "/chatkit/sync?device=web&after=1&waitMs=20000", "bob");
        await Task.Delay(300);
        Assert.False(poll.IsCompleted);
        await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", new { to = "bob", body = "two", clientMsgId = "2" });
        (status, body, _) = await poll.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(200, status);
        Assert.Equal("two", body.GetProperty("entries")[0].GetProperty("message").Str("body"));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));

        var empty = await SendAsync(host, HttpMethod.Get, "/chatkit/sync?after=2&waitMs=200", "bob");
        Assert.Equal((200, 0), (empty.Status, empty.Body.GetProperty("entries").GetArrayLength()));

        for (int i = 3; i <= 5; i++)
        {
            await SendAsync(host, HttpMethod.Post, "/chatkit/messages", "alice", new { to = "bob", body = "m" + i, clientMsgId = "c" + i });
        }

        var reset = await SendAsync(host, HttpMethod.Get, "/chatkit/sync?after=1", "bob");
        Assert.True(reset.Body.Bool("reset"));
        Assert.Equal(5, reset.Body.Long("head"));

        Assert.Equal(400, (await SendAsync(host, HttpMethod.Get, "/chatkit/sync?after=0&waitMs=30001", "bob")).Status);
        Assert.Equal(400, (await SendAsync(host, HttpMethod.Get, "/chatkit/sync", "bob")).Status);
        Assert.Equal(400, (await SendAsync(host, HttpMethod.Get, "/chatkit/sync?after=0&device=bad%20one", "bob")).Status);
        Assert.Equal(401, (await SendAsync(host, HttpMethod.Get, "/chatkit/sync?after=0", null)).Status);
    }

    [Fact]
    public async Task Logout_needs_a_device_and_a_user()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        Assert.Equal(400, (await SendAsync(host, HttpMethod.Post, "/chatkit/logout", "alice")).Status);
        Assert.Equal(401, (await SendAsync(host, HttpMethod.Post, "/chatkit/logout?device=d1", null)).Status);
        var none = await SendAsync(host, HttpMethod.Post, "/chatkit/logout?device=d1", "alice");
        Assert.Equal((200, 0L), (none.Status, none.Body.Long("closed")));
    }

    [Fact]
    public async Task Too_many_members_is_409_over_http_error_mapping()
    {
        Assert.Equal(409, Protocol.ErrorCodes.ToHttpStatus("too_many_members"));
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await host.Http.SendAsync(host.Request(HttpMethod.Get, "/chatkit/messages", "alice"))).StatusCode);
    }
}
