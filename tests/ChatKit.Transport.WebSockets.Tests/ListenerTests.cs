using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatKit.Transport.WebSockets.Tests;

/// <summary>
/// The WebSocket endpoint on a listener of its own: Kestrel's (<c>ListenOptions.UseChatKit()</c>) and ChatKit's own
/// sockets (<c>AddSocketListener</c>). The whole suite also runs on either with CHATKIT_TEST_CONNECTION_HANDLER=1 or
/// CHATKIT_TEST_SOCKET_LISTENER=1; these tests hold what is particular to them.
/// </summary>
public sealed class ListenerTests
{
    public static TheoryData<WebSocketListener> OwnListeners => [WebSocketListener.ConnectionHandler, WebSocketListener.SocketListener];

    [Theory]
    [MemberData(nameof(OwnListeners))]
    public async Task Sessions_on_both_listeners_talk_to_each_other(WebSocketListener listener)
    {
        await using ChatKitHost dense = await ChatKitHost.StartAsync(listener: listener);
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

    [Theory]
    [MemberData(nameof(OwnListeners))]
    public async Task Refusals_are_the_same_statuses_and_bodies_as_on_MapChatKit(WebSocketListener listener)
    {
        await using ChatKitHost dense = await ChatKitHost.StartAsync(o => o.AllowedOrigins = ["https://app.example.com"], listener: listener);
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

    [Theory]
    [MemberData(nameof(OwnListeners))]
    public async Task A_malformed_request_gets_400_and_the_connection_closes(WebSocketListener listener)
    {
        await using ChatKitHost dense = await ChatKitHost.StartAsync(listener: listener);
        Assert.StartsWith("HTTP/1.1 400 ", await RawExchangeAsync(dense.WebSocketEndpoint.Port, "GET /chatkit\r\nHost: x\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400 ", await RawExchangeAsync(dense.WebSocketEndpoint.Port, "GET /chatkit HTTP/1.1\r\nno colon here\r\n\r\n"));
    }

    [Theory]
    [MemberData(nameof(OwnListeners))]
    public async Task Expired_authentication_and_draining_close_as_on_MapChatKit(WebSocketListener listener)
    {
        ChatKitHost dense = await ChatKitHost.StartAsync(listener: listener);
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

    [Theory]
    [MemberData(nameof(OwnListeners))]
    public async Task A_frame_sent_right_behind_the_request_is_read_after_the_upgrade(WebSocketListener listener)
    {
        await using ChatKitHost dense = await ChatKitHost.StartAsync(listener: listener);
        byte[] head = Encoding.ASCII.GetBytes(
            "GET /chatkit?device=d1&access_token=tok-alice HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        byte[] ping = ClientFrames.Masked(0x81, Encoding.UTF8.GetBytes("""{"type":"ping","rid":"early"}"""));

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, dense.WebSocketEndpoint.Port);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(head.Concat(ping).ToArray());

        // The server's frames are not masked: the pong's JSON shows in the bytes as sent.
        string received = await ReadUntilAsync(stream, "\"rid\":\"early\"");
        Assert.StartsWith("HTTP/1.1 101 ", received);
        Assert.Contains("\"type\":\"pong\"", received);
    }

    [Fact]
    public async Task A_port_in_use_stops_the_start_with_an_error_naming_it()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var endPoint = (IPEndPoint)taken.LocalEndpoint;

        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddChatKit().AddSocketListener(endPoint);
        await using WebApplication app = builder.Build();
        app.MapChatKit();

        IOException error = await Assert.ThrowsAsync<IOException>(() => app.StartAsync());
        Assert.Contains(endPoint.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_the_host_ends_connections_still_in_their_handshake_at_once()
    {
        ChatKitHost dense = await ChatKitHost.StartAsync(listener: WebSocketListener.SocketListener);
        await using (dense)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, dense.WebSocketEndpoint.Port);
            NetworkStream stream = client.GetStream();
            await stream.WriteAsync("GET /chatkit?device=d1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"u8.ToArray());

            // Neither the 30 s the handshake may take nor the host's 10 s shutdown timeout.
            var stopping = Stopwatch.StartNew();
            await dense.App.StopAsync();
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {stopping.Elapsed}");
            using var timeout = new CancellationTokenSource(TestClient.DefaultTimeout);
            Assert.Equal(0, await stream.ReadAsync(new byte[16], timeout.Token));
        }
    }

    private static async Task<string> ReadUntilAsync(NetworkStream stream, string expected)
    {
        using var timeout = new CancellationTokenSource(TestClient.DefaultTimeout);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains(expected, StringComparison.Ordinal))
        {
            int read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "the server closed the connection; received: " + received);
            received.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        return received.ToString();
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
