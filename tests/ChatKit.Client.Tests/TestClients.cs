using ChatKit.Client.Tests.Fakes;

namespace ChatKit.Client.Tests;

internal static class TestClients
{
    public static ChatClientOptions Options(Uri server, string device = "laptop", ICursorStore? store = null) => new()
    {
        ServerUri = server,
        Device = device,
        CursorStore = store,
        ReconnectPolicy = new ChatReconnectPolicy { MinDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
        ConnectTimeout = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromSeconds(5),
    };

    public static ChatClient Create(FakeChatServer server, Action<ChatClientOptions>? configure = null, ICursorStore? store = null)
    {
        ChatClientOptions options = Options(server.Uri, store: store);
        configure?.Invoke(options);
        return new ChatClient(options);
    }
}
