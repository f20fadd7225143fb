using System.Text;
using ChatKit.LoadTest.Net;

namespace ChatKit.LoadTest.Protocols;

/// <summary>The raw relay: <c>D|user|body</c>, <c>G|group|body</c>, <c>J|group</c> answered by <c>j|group</c>; frames are forwarded unchanged.</summary>
internal sealed class RelayProtocol(Uri httpBase) : IWireProtocol
{
    public string Name => "relay";

    public bool SupportsPresence => false;

    public bool SupportsStoredMessages => false;

    public byte[]? KeepAliveFrame => null;

    public TimeSpan KeepAliveInterval => TimeSpan.FromSeconds(10);

    public Task PrepareUsersAsync(IEnumerable<string> users, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<Uri> GetUriAsync(WsConnection connection, CancellationToken cancellationToken)
        => Task.FromResult(new UriBuilder(httpBase) { Scheme = "ws", Path = "/relay", Query = "user=" + Uri.EscapeDataString(connection.User) }.Uri);

    public Task HandshakeAsync(WsConnection connection, CancellationToken cancellationToken)
    {
        connection.Ready.TrySetResult();
        return Task.CompletedTask;
    }

    public void OnMessage(WsConnection connection, ReadOnlySpan<byte> message, bool hadDeliveries)
    {
        if (!hadDeliveries && message.StartsWith("j|"u8))
        {
            var key = Encoding.UTF8.GetString(message);
            if (connection.Pending.TryRemove(key, out var pending))
            {
                pending.TrySetResult(key);
            }
        }
    }

    public byte[] Direct(WsConnection from, string to, string body, long n) => Encoding.UTF8.GetBytes($"D|{to}|{body}");

    public byte[] Group(WsConnection from, string group, string body, long n) => Encoding.UTF8.GetBytes($"G|{group}|{body}");

    public (string Id, byte[] Frame) StoredDirect(WsConnection from, string to, string body, long n)
        => throw new NotSupportedException("The relay keeps nothing for offline devices.");

    public async Task<string> SetupGroupAsync(string name, IReadOnlyList<WsConnection> members, CancellationToken cancellationToken)
    {
        await Task.WhenAll(members.Select(m => m.RequestAsync("j|" + name, Encoding.UTF8.GetBytes("J|" + name), TimeSpan.FromSeconds(30)))).ConfigureAwait(false);
        return name;
    }

    public Task RejoinGroupAsync(string name, WsConnection member, CancellationToken cancellationToken)
        => member.RequestAsync("j|" + name, Encoding.UTF8.GetBytes("J|" + name), TimeSpan.FromSeconds(30));

    public Task SubscribePresenceAsync(WsConnection connection, IReadOnlyList<string> users, CancellationToken cancellationToken)
        => throw new NotSupportedException("The relay has no presence.");

    public long CursorAfterConnect(WsConnection connection) => 0;
}
