using System.Net.WebSockets;
using ChatKit.Client.Tests.Fakes;
using ChatKit.Protocol;

namespace ChatKit.Client.Tests;

public sealed class ConnectTests
{
    [Fact]
    public async Task Connect_sends_device_cursor_token_and_subprotocol_and_raises_Connected()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.RequiredToken = "tok-1");
        server.AppendMessage("g-1", "bob", "one", deliver: false);
        server.AppendMessage("g-1", "bob", "two", deliver: false);
        await using ChatClient client = TestClients.Create(
            server, o => o.AccessTokenProvider = _ => ValueTask.FromResult<string?>("tok-1"), new InMemoryCursorStore(1));
        var log = new EventLog(client);

        await client.ConnectAsync();

        Assert.Equal(ChatConnectionState.Connected, client.State);
        ConnectInfo info = Assert.Single(server.Connects);
        Assert.Equal("laptop", info.Device);
        Assert.Equal(1, info.After);
        Assert.Equal("Bearer tok-1", info.AuthorizationHeader);
        Assert.Null(info.QueryToken);
        Assert.Contains(ProtocolLimits.SubProtocol, info.SubProtocols);
        ConnectedEventArgs connected = await log.WaitForAsync<ConnectedEventArgs>();
        Assert.Equal(("alice", 2L, false, true), (connected.User, connected.Head, connected.IsReconnect, connected.Resumed));
        MessageReceivedEventArgs backlog = await log.WaitForAsync<MessageReceivedEventArgs>();
        Assert.Equal((2L, "two"), (backlog.Seq, backlog.Message.Body));
    }

    [Fact]
    public async Task Token_goes_in_the_query_string_when_asked()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.RequiredToken = "tok/2+");
        await using ChatClient client = TestClients.Create(server, o =>
        {
            o.AccessTokenProvider = _ => ValueTask.FromResult<string?>("tok/2+");
            o.AccessTokenTransport = AccessTokenTransport.QueryString;
        });

        await client.ConnectAsync();

        ConnectInfo info = Assert.Single(server.Connects);
        Assert.Equal("tok/2+", info.QueryToken);
        Assert.Null(info.AuthorizationHeader);
    }

    [Fact]
    public async Task Refused_upgrade_throws_with_the_protocol_code_and_status()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.RequiredToken = "right");
        await using ChatClient client = TestClients.Create(server, o => o.AccessTokenProvider = _ => ValueTask.FromResult<string?>("wrong"));

        ChatClientException ex = await Assert.ThrowsAsync<ChatClientException>(() => client.ConnectAsync());

        Assert.Equal(ErrorCodes.Unauthorized, ex.Code);
        Assert.Equal(401, ex.HttpStatusCode);
        Assert.DoesNotContain("wrong", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ChatConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task Unreachable_server_throws_unavailable()
    {
        Uri nowhere;
        await using (FakeChatServer server = await FakeChatServer.StartAsync())
        {
            nowhere = server.Uri;
        }

        await using var client = new ChatClient(TestClients.Options(nowhere));

        ChatClientException ex = await Assert.ThrowsAsync<ChatClientException>(() => client.ConnectAsync());
        Assert.Equal(ErrorCodes.Unavailable, ex.Code);
    }

    [Fact]
    public async Task A_device_without_cursor_starts_at_head_and_saves_it()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        for (int i = 0; i < 7; i++)
        {
            server.AppendMessage("g-1", "bob", "old " + i, deliver: false);
        }

        var store = new InMemoryCursorStore();
        await using ChatClient client = TestClients.Create(server, store: store);
        var log = new EventLog(client);

        await client.ConnectAsync();
        ConnectedEventArgs connected = await log.WaitForAsync<ConnectedEventArgs>();

        Assert.False(connected.Resumed);
        Assert.Null(Assert.Single(server.Connects).After);
        Assert.Equal(7, store.Cursor);
        Assert.Equal(7, client.Cursor);
        Assert.Empty(log.Of<MessageReceivedEventArgs>());

        // The next connection resumes from the head, so nothing sent meanwhile is missed.
        server.AppendMessage("g-1", "bob", "while away", deliver: false);
        (await server.NextSessionAsync()).Abort();
        MessageReceivedEventArgs missed = await log.WaitForAsync<MessageReceivedEventArgs>();
        Assert.Equal((8L, "while away"), (missed.Seq, missed.Message.Body));
        Assert.Equal(7, server.Connects.Last().After);
    }

    [Fact]
    public async Task Dispose_closes_cleanly_and_fails_waiting_requests()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync(s => s.Intercept = (_, f) => ValueTask.FromResult(f.Type == FrameTypes.Channels));
        ChatClient client = TestClients.Create(server);
        await client.ConnectAsync();
        FakeSession session = await server.NextSessionAsync();
        Task<IReadOnlyList<Protocol.Frames.WireChannel>> pending = client.ChannelsAsync();
        await session.NextFrameAsync(FrameTypes.Channels);

        await client.DisposeAsync();

        await session.Ended.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, session.ClientCloseStatus);
        await Assert.ThrowsAnyAsync<Exception>(() => pending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(ChatConnectionState.Disconnected, client.State);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.PingAsync());
    }

    [Fact]
    public async Task Discovery_picks_the_node_and_a_failing_discovery_falls_back_to_ServerUri()
    {
        await using FakeChatServer server = await FakeChatServer.StartAsync();
        var discover = new Uri(server.Uri.ToString().Replace("ws://", "http://", StringComparison.Ordinal) + "/discover");
        await using var viaDiscovery = new ChatClient(new ChatClientOptions
        {
            DiscoveryUri = discover,
            Device = "phone",
            AccessTokenProvider = _ => ValueTask.FromResult<string?>("t"),
        });

        await viaDiscovery.ConnectAsync();

        Assert.Equal("Bearer t", Assert.Single(server.DiscoverAuthorization));
        Assert.Equal("phone", Assert.Single(server.Connects).Device);

        ChatClientOptions fallback = TestClients.Options(server.Uri, "tablet");
        fallback.DiscoveryUri = new Uri(discover, "/nothing-here");
        await using var viaFallback = new ChatClient(fallback);
        await viaFallback.ConnectAsync();
        Assert.Equal("tablet", server.Connects.Last().Device);
    }

    [Fact]
    public async Task Options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new ChatClient(new ChatClientOptions { Device = "laptop" }));
        Assert.Throws<ArgumentException>(() => new ChatClient(new ChatClientOptions { ServerUri = new Uri("ws://x/chatkit"), Device = "bad device" }));
        await using var client = new ChatClient(new ChatClientOptions { ServerUri = new Uri("ws://x/chatkit"), Device = "ok" });
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.PingAsync());
    }

    [Fact]
    public void Http_uris_become_websocket_uris_and_the_query_is_escaped()
    {
        Assert.Equal(new Uri("ws://h:5000/chatkit"), ChatClient.ToWebSocketUri(new Uri("http://h:5000/chatkit")));
        Assert.Equal(new Uri("wss://h/chatkit"), ChatClient.ToWebSocketUri(new Uri("https://h/chatkit")));
        Uri uri = ChatClient.BuildConnectUri(new Uri("ws://h/chatkit?x=1"), "phone", 42, "a b&c");
        Assert.Equal("?x=1&device=phone&after=42&access_token=a%20b%26c", uri.Query);
    }
}
