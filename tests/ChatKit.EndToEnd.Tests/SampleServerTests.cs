using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatKit.EndToEnd.Tests;

public sealed class SampleServerTests
{
    [Fact]
    public async Task Dev_token_signs_valid_users_and_refuses_others()
    {
        await using SampleHost host = await SampleHost.StartAsync();
        string token = await host.TokenAsync("alice");
        Assert.Equal(3, token.Split('.').Length);

        Assert.Equal(HttpStatusCode.BadRequest, (await host.Http.PostAsJsonAsync("/dev/token", new { user = "no spaces" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Http.PostAsJsonAsync("/dev/token", new { name = "alice" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Http.PostAsync("/dev/token", new StringContent("{oops"))).StatusCode);

        HttpResponseMessage discover = await host.SendAsync(HttpMethod.Get, "/chatkit/discover", token);
        Assert.Equal(HttpStatusCode.OK, discover.StatusCode);
        Assert.Equal(host.WebSocketEndpoint.ToString(), JsonDocument.Parse(await discover.Content.ReadAsStringAsync()).RootElement.Str("url"));
    }

    [Fact]
    public async Task Outside_development_there_is_no_dev_token_and_forged_tokens_are_refused()
    {
        await using SampleHost host = await SampleHost.StartAsync("Production");
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.PostAsJsonAsync("/dev/token", new { user = "alice" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/chatkit/health")).StatusCode);

        await using SampleHost other = await SampleHost.StartAsync();
        string foreign = await other.TokenAsync("alice");
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.SendAsync(HttpMethod.Get, "/chatkit/discover", foreign)).StatusCode);
        Assert.Equal(401, await TestClient.HandshakeStatusAsync(host.WebSocketEndpoint, foreign, "device=d1"));
    }

    [Fact]
    public async Task A_configured_signing_key_is_used_and_must_be_long_enough()
    {
        await using SampleHost host = await SampleHost.StartAsync("Development", "--Auth:SigningKey=0123456789abcdef0123456789abcdef-sample");
        await using TestClient alice = await host.ConnectAsync("alice");
        Assert.Equal("alice", alice.Welcome.Str("user"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => SampleHost.StartAsync("Development", "--Auth:SigningKey=short"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => SampleHost.StartAsync("Development", "--ChatKit:Storage=Cassandra"));
    }

    [Fact]
    public async Task ChatKit_options_bind_from_the_command_line()
    {
        await using SampleHost host = await SampleHost.StartAsync("Development",
            "--ChatKit:HeartbeatInterval=00:00:01", "--ChatKit:MaxBodyChars=77", "--ChatKit:MaxGroupMembers=5",
            "--ChatKit:MaxFrameBytes=20000", "--ChatKit:AllowedOrigins:0=https://app.example", "--ChatKit:PresenceGracePeriod=00:00:00.250",
            "--ChatKit:InboxRetentionCount=3", "--ChatKit:RateLimit:PermitsPerSecond=0.5", "--ChatKit:RateLimit:Burst=7", "--ChatKit:NodeId=node-a");
        ChatKitOptions o = host.App.Services.GetRequiredService<IOptions<ChatKitOptions>>().Value;
        Assert.Equal((TimeSpan.FromMilliseconds(250), 3, 0.5, 7), (o.PresenceGracePeriod, o.InboxRetentionCount, o.RateLimit.PermitsPerSecond, o.RateLimit.Burst));

        await using TestClient alice = await host.ConnectAsync("alice", origin: "https://app.example");
        JsonElement w = alice.Welcome;
        Assert.Equal(("node-a", 1000L), (w.Str("node"), w.Long("heartbeatMs")));
        JsonElement limits = w.GetProperty("limits");
        Assert.Equal((20000L, 77L, 5L), (limits.Long("maxFrameBytes"), limits.Long("maxBodyChars"), limits.Long("maxGroupMembers")));
        Assert.Equal(403, await TestClient.HandshakeStatusAsync(host.WebSocketEndpoint, await host.TokenAsync("bob"), "device=d1", "https://other.example"));
    }

    [Fact]
    public async Task The_root_serves_a_page()
    {
        await using SampleHost host = await SampleHost.StartAsync();
        HttpResponseMessage page = await host.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("text/html", page.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Tokens_in_urls_never_reach_the_logs()
    {
        await using SampleHost host = await SampleHost.StartAsync();
        string token = await host.TokenAsync("alice");
        await using (TestClient alice = await TestClient.ConnectAsync(host.WebSocketEndpoint, token, "d1"))
        {
            await alice.OkAsync("ping");
        }

        await host.Http.GetAsync($"/chatkit/sync?after=0&access_token={token}");
        await host.Http.GetAsync($"/not-chatkit?access_token={token}");
        await Task.Delay(200);
        IReadOnlyList<string> logs = host.Logs.Entries;
        Assert.Contains(logs, e => e.Contains("access_token=***", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, e => e.Contains(token, StringComparison.Ordinal));
        Assert.DoesNotContain(logs, e => e.Contains(token.Split('.')[2], StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_WebSocket_listener_of_its_own_serves_the_same_sessions_and_token_expiry()
    {
        int port = FreePort();
        var listener = new Uri($"ws://127.0.0.1:{port}/chatkit");
        await using (SampleHost host = await SampleHost.StartAsync("Development", $"--ChatKit:WebSocketListener=127.0.0.1:{port}"))
        {
            await using TestClient alice = await TestClient.ConnectAsync(listener, await host.TokenAsync("alice"), "d1", subProtocols: ["chatkit.v1"]);
            await using TestClient bob = await host.ConnectAsync("bob");
            Assert.Equal("alice", alice.Welcome.Str("user"));
            Assert.Equal("chatkit.v1", alice.Socket.SubProtocol);

            await alice.OkAsync("send", new { to = "bob", body = "from the listener", clientMsgId = "m1" });
            await bob.WaitAsync(f => f.IsMessageEntry("from the listener"));
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/chatkit/health")).StatusCode);
        }

        // The sample keeps only the sub claim of a validated token; the token's expiry still closes both kinds of session.
        await using SampleHost shortLived = await SampleHost.StartAsync("Development", $"--ChatKit:WebSocketListener=127.0.0.1:{port}", "--Auth:TokenLifetime=00:00:01");
        await using TestClient onListener = await TestClient.ConnectAsync(listener, await shortLived.TokenAsync("carol"), "d1");
        await using TestClient onEndpoint = await shortLived.ConnectAsync("dave");
        Assert.Equal("carol", onListener.Welcome.Str("user"));
        Assert.Equal("dave", onEndpoint.Welcome.Str("user"));
        Assert.Equal((WebSocketCloseStatus)4001, await onListener.WaitClosedAsync());
        Assert.Equal((WebSocketCloseStatus)4001, await onEndpoint.WaitClosedAsync());
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
