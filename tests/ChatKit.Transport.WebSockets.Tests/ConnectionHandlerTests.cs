using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace ChatKit.Transport.WebSockets.Tests;

/// <summary>
/// <c>ListenOptions.UseChatKit()</c>: the WebSocket endpoint on a Kestrel listener of its own. The whole suite also
/// runs on it with CHATKIT_TEST_CONNECTION_HANDLER=1; these tests hold what is particular to it.
/// </summary>
public sealed class ConnectionHandlerTests
{
    [Fact]
    public async Task Sessions_on_both_listeners_talk_to_each_other()
    {
        await using ChatKitHost dense = await ChatKitHost.StartAsync(connectionHandler: true);
        Uri mapped = new(dense.HttpBase.ToString().Replace("http://", "ws://", StringComparison.Ordinal) + "chatkit");
        Assert.NotEqual(mapped.Port, dense.WebSocketEndpoint.Port);

        await using TestClient alice = await dense.ConnectAsync("alice", subProtocols: ["chatkit.v1"]);
        await using TestClient bob = await TestClient.ConnectAsync(mapped, ChatKitHost.Token("bob"), "d1");
        Assert.Equal("alice", alice.Welcome.Str("user"));
        Assert.Equal("chatkit.v1", alice.Socket.SubProtocol);
        Assert.Equal("pong", (await alice.RequestAsync("ping")).Type());

        await alice.OkAsync("send", new { to = "bob", body = "over the dense listener", clientMsgId = "m1" });
        await bob.WaitAsync(f => f.IsMessageEntry("over the dense listener"));
        await bob.OkAsync("send", new { to = "alice", body = "and back", clientMsgId = "m2" });
        await alice.WaitAsync(f => f.IsMessageEntry("and back"));
        Assert.Equal(2, dense.Sessions.Count);
    }

    [Fact]
    public async Task Refusals_are_the_same_statuses_and_bodies_as_on_MapChatKit()
    {
        await using ChatKitHost dense = await ChatKitHost.StartAsync(o => o.AllowedOrigins = ["https://app.example.com"], connectionHandler: true);
        Uri ws = dense.WebSocketEndpoint;
        string alice = ChatKitHost.Token("alice");

        Assert.Equal(401, await TestClient.HandshakeStatusAsync(ws, null, "device=d1"));
        Assert.Equal(401, await TestClient.HandshakeStatusAsync(ws, "not-a-token", "device=d1"));
        Assert.Equal(403, await TestClient.HandshakeStatusAsync(ws, alice, "device=d1", origin: "https://evil.example.org"));
        Assert.Equal(101, await TestClient.HandshakeStatusAsync(ws, alice, "device=d1", origin: "https://app.example.com"));
        Assert.Equal(400, await TestClient.HandshakeStatusAsync(ws, alice, "device=bad%20device"));
        Assert.Equal(400, await TestClient.HandshakeStatusAsync(ws, alice, "device=d1&after=-1"));

        // Without an upgrade: the JSON error body of PROTOCOL.md section 8, as MapChatKit writes it.
        using var http = new HttpClient();
        using HttpResponseMessage plain = await http.GetAsync(new Uri($"http://127.0.0.1:{ws.Port}/chatkit?device=d1&access_token={alice}"));
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Equal("application/json; charset=utf-8", plain.Content.Headers.ContentType?.ToString());
        using JsonDocument body = JsonDocument.Parse(await plain.Content.ReadAsStringAsync());
        Assert.Equal("bad_request", body.RootElement.Str("code"));

        using HttpResponseMessage anonymous = await http.GetAsync(new Uri($"http://127.0.0.1:{ws.Port}/chatkit?device=d1"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        // The listener serves the WebSocket endpoint only.
        using HttpResponseMessage elsewhere = await http.GetAsync(new Uri($"http://127.0.0.1:{ws.Port}/chatkit/health"));
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_malformed_request_gets_400_and_the_connection_closes()
    {
        await using ChatKitHost dense = await ChatKitHost.StartAsync(connectionHandler: true);
        Assert.StartsWith("HTTP/1.1 400 ", await RawExchangeAsync(dense.WebSocketEndpoint.Port, "GET /chatkit\r\nHost: x\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400 ", await RawExchangeAsync(dense.WebSocketEndpoint.Port, "GET /chatkit HTTP/1.1\r\nno colon here\r\n\r\n"));
    }

    [Fact]
    public async Task Expired_authentication_and_draining_close_as_on_MapChatKit()
    {
        ChatKitHost dense = await ChatKitHost.StartAsync(connectionHandler: true);
        await using (dense)
        {
            await using TestClient expiring = await TestClient.ConnectAsync(dense.WebSocketEndpoint, "tok-alice~300", "d1");
            Assert.Equal((WebSocketCloseStatus)4001, await expiring.WaitClosedAsync());

            await using TestClient bob = await dense.ConnectAsync("bob");
            Task stopping = dense.App.StopAsync();
            await bob.WaitAsync(f => f.Type() == "drain");
            Assert.Equal((WebSocketCloseStatus)1012, await bob.WaitClosedAsync());
            await stopping;
        }
    }

    private static async Task<string> RawExchangeAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TestClient.DefaultTimeout);
        return await reader.ReadToEndAsync(timeout.Token);
    }
}
