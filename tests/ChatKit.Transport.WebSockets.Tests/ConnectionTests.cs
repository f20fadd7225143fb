using System.Net.WebSockets;
using ChatKit.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ChatKit.Transport.WebSockets.Tests;

public sealed class ConnectionTests
{
    [Fact]
    public async Task Welcome_is_the_first_frame_with_user_device_head_and_limits()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o =>
        {
            o.NodeId = "n7";
            o.MaxFrameBytes = 32768;
            o.MaxBodyChars = 1234;
            o.MaxGroupMembers = 12;
            o.HeartbeatInterval = TimeSpan.FromSeconds(20);
        });
        await using TestClient alice = await host.ConnectAsync("alice", "phone");

        System.Text.Json.JsonElement w = alice.Frames()[0];
        Assert.Equal("welcome", w.Type());
        Assert.Equal("alice", w.Str("user"));
        Assert.Equal("phone", w.Str("device"));
        Assert.Equal("n7", w.Str("node"));
        Assert.StartsWith("s-", w.Str("session"));
        Assert.Equal(0, w.Long("head"));
        Assert.Equal(20000, w.Long("heartbeatMs"));
        Assert.Equal(32768, w.GetProperty("limits").Long("maxFrameBytes"));
        Assert.Equal(1234, w.GetProperty("limits").Long("maxBodyChars"));
        Assert.Equal(12, w.GetProperty("limits").Long("maxGroupMembers"));
    }

    [Fact]
    public async Task Subprotocol_is_echoed_when_offered_and_absent_otherwise()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient with = await host.ConnectAsync("alice", subProtocols: ["chatkit.v1"]);
        await using TestClient without = await host.ConnectAsync("alice", "d2");

        Assert.Equal("chatkit.v1", with.Socket.SubProtocol);
        Assert.Null(without.Socket.SubProtocol);
    }

    [Fact]
    public async Task Handshake_statuses_401_403_400_before_the_upgrade()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.AllowedOrigins = ["https://app.example.com"]);
        Uri ws = host.WebSocketEndpoint;

        Assert.Equal(401, await TestClient.HandshakeStatusAsync(ws, null, "device=d1"));
        Assert.Equal(401, await TestClient.HandshakeStatusAsync(ws, "not-a-token", "device=d1"));
        Assert.Equal(403, await TestClient.HandshakeStatusAsync(ws, ChatKitHost.Token("alice"), "device=d1", origin: "https://evil.example.org"));
        Assert.Equal(403, await TestClient.HandshakeStatusAsync(ws, ChatKitHost.Token("alice"), "device=d1", origin: "null"));
        Assert.Equal(400, await TestClient.HandshakeStatusAsync(ws, ChatKitHost.Token("alice"), null));
        Assert.Equal(400, await TestClient.HandshakeStatusAsync(ws, ChatKitHost.Token("alice"), "device=bad%20device"));
        Assert.Equal(400, await TestClient.HandshakeStatusAsync(ws, ChatKitHost.Token("alice"), "device=" + new string('x', 65)));
        Assert.Equal(400, await TestClient.HandshakeStatusAsync(ws, ChatKitHost.Token("alice"), "device=d1&after=-1"));
        Assert.Equal(400, await TestClient.HandshakeStatusAsync(ws, ChatKitHost.Token("alice"), "device=d1&after=abc"));

        Assert.Equal(101, await TestClient.HandshakeStatusAsync(ws, ChatKitHost.Token("alice"), "device=d1"));
        Assert.Equal(101, await TestClient.HandshakeStatusAsync(ws, ChatKitHost.Token("alice"), "device=d1", origin: "https://APP.example.com/"));
        Assert.Equal(101, await TestClient.HandshakeStatusAsync(ws, ChatKitHost.Token("alice"), "device=d1", origin: $"http://{ws.Authority}"));
        Assert.Equal(101, await TestClient.HandshakeStatusAsync(ws, ChatKitHost.Token("alice"), "device=A-z_0.9"));
    }

    [Fact]
    public async Task Star_allows_every_origin()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.AllowedOrigins = ["*"]);
        Assert.Equal(101, await TestClient.HandshakeStatusAsync(host.WebSocketEndpoint, ChatKitHost.Token("alice"), "device=d1", origin: "https://anything.example"));
    }

    [Fact]
    public async Task A_plain_GET_of_the_websocket_endpoint_is_a_bad_request()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        HttpResponseMessage response = await host.Http.SendAsync(host.Request(HttpMethod.Get, "/chatkit?device=d1", "alice"));
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("\"code\":\"bad_request\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RequireAuthorization_challenges_but_health_stays_anonymous()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(requireAuthorization: true);
        Assert.Equal(401, await TestClient.HandshakeStatusAsync(host.WebSocketEndpoint, null, "device=d1"));
        Assert.Equal(401, (int)(await host.Http.SendAsync(host.Request(HttpMethod.Get, "/chatkit/discover", null))).StatusCode);
        Assert.Equal(200, (int)(await host.Http.SendAsync(host.Request(HttpMethod.Get, "/chatkit/health", null))).StatusCode);
        await using TestClient alice = await host.ConnectAsync("alice");
        Assert.Equal("welcome", alice.Welcome.Type());
    }

    [Fact]
    public void MapChatKit_without_AddChatKit_says_how_to_fix_it()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        WebApplication app = builder.Build();
        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => app.MapChatKit("/chatkit"));
        Assert.Contains("services.AddChatKit()", ex.Message);
    }

    [Fact]
    public async Task Client_close_is_answered_and_the_session_is_gone()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        TestClient alice = await host.ConnectAsync("alice");
        Assert.Equal(1, host.Sessions.Count);
        await alice.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        Assert.Equal(WebSocketState.Closed, alice.Socket.State);
        await WaitFor.ConditionAsync(() => host.Sessions.Count == 0);
        await alice.DisposeAsync();
    }

    [Fact]
    public async Task An_idle_connection_stays_open_and_answers()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        await Task.Delay(300);
        System.Text.Json.JsonElement pong = await alice.OkAsync(FrameTypes.Ping);
        Assert.Equal("pong", pong.Type());
    }

    [Fact]
    public async Task Query_tokens_work_when_authentication_runs_before_routing_and_only_for_chatkit_paths()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(pipeline: app =>
        {
            app.UseAuthentication();
            app.UseRouting();
            app.MapGet("/whoami", (HttpContext c) => c.User.Identity?.IsAuthenticated == true ? "yes" : "no");
        });
        Assert.Equal(101, await TestClient.HandshakeStatusAsync(host.WebSocketEndpoint, ChatKitHost.Token("alice"), "device=d1"));
        Assert.Equal("no", await host.Http.GetStringAsync($"/whoami?access_token={ChatKitHost.Token("alice")}"));
        HttpResponseMessage withHeader = await host.Http.SendAsync(host.Request(HttpMethod.Get, "/whoami", "alice"));
        Assert.Equal("yes", await withHeader.Content.ReadAsStringAsync());
    }
}

public static class WaitFor
{
    public static async Task ConditionAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Condition not met in time.");
            }

            await Task.Delay(10);
        }
    }
}