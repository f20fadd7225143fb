using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using ChatKit.LoadTest.Net;

namespace ChatKit.LoadTest.Protocols;

/// <summary>
/// Socket.IO v4 over Engine.IO v4, spoken raw over a WebSocket: <c>0{...}</c> open, <c>40{auth}</c> connect,
/// <c>42["event",...]</c> events, <c>42ID[...]</c> / <c>43ID[...]</c> acks, server ping <c>2</c> answered by pong <c>3</c>.
/// With <paramref name="acknowledged"/> a 1:1 message is the baseline's <c>dma</c> (kept and acknowledged, as ChatKit's
/// <c>send</c>) instead of its <c>dm</c> (forwarded, nothing kept, no answer to the sender).
/// </summary>
internal sealed class SocketIoProtocol(Uri httpBase, bool acknowledged = false) : IWireProtocol
{
    private static readonly byte[] Pong = "3"u8.ToArray();
    private long _ack;

    public string Name => "socketio";

    public bool SupportsPresence => true;

    public bool SupportsStoredMessages => true;

    public byte[]? KeepAliveFrame => null;

    public TimeSpan KeepAliveInterval => TimeSpan.FromSeconds(10);

    public Task PrepareUsersAsync(IEnumerable<string> users, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<Uri> GetUriAsync(WsConnection connection, CancellationToken cancellationToken)
        => Task.FromResult(new UriBuilder(httpBase) { Scheme = "ws", Path = "/socket.io/", Query = "EIO=4&transport=websocket" }.Uri);

    public Task HandshakeAsync(WsConnection connection, CancellationToken cancellationToken)
        => connection.Ready.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

    public void OnMessage(WsConnection connection, ReadOnlySpan<byte> message, bool hadDeliveries)
    {
        if (message.IsEmpty || hadDeliveries)
        {
            return;
        }

        switch (message[0])
        {
            case (byte)'0':
                var auth = connection.ResumeAfter is { } after
                    ? $"40{{\"user\":{Json.Quote(connection.User)},\"after\":{after}}}"
                    : $"40{{\"user\":{Json.Quote(connection.User)}}}";
                connection.Send(Encoding.UTF8.GetBytes(auth));
                return;
            case (byte)'2':
                connection.Send(Pong);
                return;
            case (byte)'4':
                break;
            default:
                return;
        }

        if (message.Length < 2)
        {
            return;
        }

        switch (message[1])
        {
            case (byte)'0':
                connection.Ready.TrySetResult();
                break;
            case (byte)'4':
                connection.Ready.TrySetException(new InvalidOperationException("Socket.IO connect_error: " + Encoding.UTF8.GetString(message)));
                break;
            case (byte)'3':
                if (Utf8Parser.TryParse(message[2..], out long id, out _)
                    && connection.Pending.TryRemove(id.ToString(System.Globalization.CultureInfo.InvariantCulture), out var pending))
                {
                    pending.TrySetResult(Encoding.UTF8.GetString(message));
                }

                break;
            case (byte)'2':
                if (message.StartsWith("42[\"presence\""u8))
                {
                    using var doc = JsonDocument.Parse(message[2..].ToArray());
                    connection.PresenceChanged?.Invoke(doc.RootElement[1].GetString() ?? "", doc.RootElement[2].GetString() == "online");
                }

                break;
        }
    }

    public byte[] Direct(WsConnection from, string to, string body, long n)
        => acknowledged
            ? Encoding.UTF8.GetBytes($"42{NextAckId()}[\"dma\",\"{to}\",\"{body}\"]")
            : Encoding.UTF8.GetBytes($"42[\"dm\",\"{to}\",\"{body}\"]");

    public byte[] Group(WsConnection from, string group, string body, long n)
        => Encoding.UTF8.GetBytes($"42[\"gm\",\"{group}\",\"{body}\"]");

    public (string Id, byte[] Frame) StoredDirect(WsConnection from, string to, string body, long n)
    {
        var id = NextAckId();
        return (id, Encoding.UTF8.GetBytes($"42{id}[\"dms\",\"{to}\",\"{body}\"]"));
    }

    public async Task<string> SetupGroupAsync(string name, IReadOnlyList<WsConnection> members, CancellationToken cancellationToken)
    {
        await Task.WhenAll(members.Select(m => EmitWithAckAsync(m, $"\"join\",{Json.Quote(name)}"))).ConfigureAwait(false);
        return name;
    }

    public Task RejoinGroupAsync(string name, WsConnection member, CancellationToken cancellationToken)
        => EmitWithAckAsync(member, $"\"join\",{Json.Quote(name)}");

    public Task SubscribePresenceAsync(WsConnection connection, IReadOnlyList<string> users, CancellationToken cancellationToken)
        => EmitWithAckAsync(connection, "\"sub\"," + Json.Array(users));

    public long CursorAfterConnect(WsConnection connection) => 0;

    private Task<string> EmitWithAckAsync(WsConnection connection, string argumentsJson)
    {
        var id = NextAckId();
        return connection.RequestAsync(id, Encoding.UTF8.GetBytes($"42{id}[{argumentsJson}]"), TimeSpan.FromSeconds(30));
    }

    private string NextAckId() => Interlocked.Increment(ref _ack).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
