using System.Text;
using System.Text.Json;
using ChatKit.LoadTest.Net;

namespace ChatKit.LoadTest.Protocols;

/// <summary>The SignalR JSON hub protocol spoken raw over a WebSocket (skip-negotiation): handshake, then 0x1E-terminated records.</summary>
internal sealed class SignalRProtocol(Uri httpBase, string path) : IWireProtocol
{
    private const byte RecordSeparator = 0x1E;
    private static readonly byte[] Handshake = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private long _invocation;

    public string Name => "signalr";

    public bool SupportsPresence => true;

    public bool SupportsStoredMessages => true;

    public byte[]? KeepAliveFrame { get; } = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");

    public TimeSpan KeepAliveInterval => TimeSpan.FromSeconds(10);

    public Task PrepareUsersAsync(IEnumerable<string> users, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<Uri> GetUriAsync(WsConnection connection, CancellationToken cancellationToken)
    {
        var ws = new UriBuilder(httpBase) { Scheme = "ws", Path = path, Query = "user=" + Uri.EscapeDataString(connection.User) };
        if (connection.ResumeAfter is { } after)
        {
            ws.Query += "&after=" + after;
        }

        return Task.FromResult(ws.Uri);
    }

    public Task HandshakeAsync(WsConnection connection, CancellationToken cancellationToken)
    {
        connection.Send(Handshake);
        return connection.Ready.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
    }

    public void OnMessage(WsConnection connection, ReadOnlySpan<byte> message, bool hadDeliveries)
    {
        while (!message.IsEmpty)
        {
            var end = message.IndexOf(RecordSeparator);
            var record = end < 0 ? message : message[..end];
            message = end < 0 ? [] : message[(end + 1)..];
            if (record.IsEmpty)
            {
                continue;
            }

            if (connection.ProtocolState == 0)
            {
                connection.ProtocolState = 1;
                if (Json.Contains(record, "\"error\""u8))
                {
                    connection.Ready.TrySetException(new InvalidOperationException("SignalR handshake failed: " + Encoding.UTF8.GetString(record)));
                }
                else
                {
                    connection.Ready.TrySetResult();
                }

                continue;
            }

            if (Json.Contains(record, "\"target\":\"m\""u8) || Json.Contains(record, "\"type\":6"u8))
            {
                continue;
            }

            if (Json.Contains(record, "\"type\":3"u8))
            {
                var id = Json.StringAfter(record, "\"invocationId\":\""u8);
                if (id is not null && connection.Pending.TryRemove(id, out var pending))
                {
                    if (Json.Contains(record, "\"error\":"u8))
                    {
                        pending.TrySetException(new InvalidOperationException(Encoding.UTF8.GetString(record)));
                    }
                    else
                    {
                        pending.TrySetResult(Encoding.UTF8.GetString(record));
                    }
                }
            }
            else if (Json.Contains(record, "\"target\":\"presence\""u8))
            {
                using var doc = JsonDocument.Parse(record.ToArray());
                var args = doc.RootElement.GetProperty("arguments");
                connection.PresenceChanged?.Invoke(args[0].GetString() ?? "", args[1].GetString() == "online");
            }
            else if (Json.Contains(record, "\"type\":7"u8))
            {
                Interlocked.Increment(ref connection.Errors);
                connection.LastError = "SignalR close: " + Encoding.UTF8.GetString(record);
            }
        }
    }

    public byte[] Direct(WsConnection from, string to, string body, long n)
        => Encoding.UTF8.GetBytes($"{{\"type\":1,\"target\":\"SendDirect\",\"arguments\":[\"{to}\",\"{body}\"]}}\u001e");

    public byte[] Group(WsConnection from, string group, string body, long n)
        => Encoding.UTF8.GetBytes($"{{\"type\":1,\"target\":\"SendGroup\",\"arguments\":[\"{group}\",\"{body}\"]}}\u001e");

    public (string Id, byte[] Frame) StoredDirect(WsConnection from, string to, string body, long n)
    {
        var id = "a" + n;
        return (id, Encoding.UTF8.GetBytes($"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"SendDirectStored\",\"arguments\":[\"{to}\",\"{body}\"]}}\u001e"));
    }

    public async Task<string> SetupGroupAsync(string name, IReadOnlyList<WsConnection> members, CancellationToken cancellationToken)
    {
        await Task.WhenAll(members.Select(m => InvokeAsync(m, "Join", Json.Quote(name)))).ConfigureAwait(false);
        return name;
    }

    public Task RejoinGroupAsync(string name, WsConnection member, CancellationToken cancellationToken)
        => InvokeAsync(member, "Join", Json.Quote(name));

    public Task SubscribePresenceAsync(WsConnection connection, IReadOnlyList<string> users, CancellationToken cancellationToken)
        => InvokeAsync(connection, "Subscribe", Json.Array(users));

    public long CursorAfterConnect(WsConnection connection) => 0;

    private Task<string> InvokeAsync(WsConnection connection, string target, string argumentsJson)
    {
        var id = "i" + Interlocked.Increment(ref _invocation);
        var frame = Encoding.UTF8.GetBytes($"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"{target}\",\"arguments\":[{argumentsJson}]}}\u001e");
        return connection.RequestAsync(id, frame, TimeSpan.FromSeconds(30));
    }
}
