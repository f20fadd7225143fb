using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatKit.LoadTest.Net;

namespace ChatKit.LoadTest.Protocols;

/// <summary>PROTOCOL.md v1, written from the page: tokens from the sample's <c>POST /dev/token</c>, frames as JSON lines.</summary>
internal sealed class ChatKitProtocol(Uri httpBase, string path, HttpClient http, Uri? webSocketBase = null) : IWireProtocol
{
    private readonly Dictionary<string, string> _tokens = [];
    private long _rid;

    public string Name => "chatkit";

    public bool SupportsPresence => true;

    public bool SupportsStoredMessages => true;

    public byte[]? KeepAliveFrame { get; } = """{"type":"ping"}"""u8.ToArray();

    public TimeSpan KeepAliveInterval => TimeSpan.FromSeconds(10);

    public async Task PrepareUsersAsync(IEnumerable<string> users, CancellationToken cancellationToken)
    {
        string[] missing;
        lock (_tokens)
        {
            missing = users.Distinct().Where(u => !_tokens.ContainsKey(u)).ToArray();
        }

        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (user, ct) =>
        {
            using var response = await http.PostAsJsonAsync(new Uri(httpBase, "/dev/token"), new TokenRequest(user), ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"POST /dev/token answered {(int)response.StatusCode}: is the ChatKit sample server running in Development mode?");
            }

            var token = await response.Content.ReadFromJsonAsync<TokenResponse>(ct).ConfigureAwait(false);
            lock (_tokens)
            {
                _tokens[user] = token?.token ?? throw new InvalidOperationException("POST /dev/token returned no token.");
            }
        }).ConfigureAwait(false);
    }

    public async Task<Uri> GetUriAsync(WsConnection connection, CancellationToken cancellationToken)
    {
        string? token;
        lock (_tokens)
        {
            _tokens.TryGetValue(connection.User, out token);
        }

        if (token is null)
        {
            await PrepareUsersAsync([connection.User], cancellationToken).ConfigureAwait(false);
            lock (_tokens)
            {
                token = _tokens[connection.User];
            }
        }

        var wsBase = webSocketBase ?? httpBase;
        var ws = new UriBuilder(wsBase) { Scheme = wsBase.Scheme == "https" ? "wss" : "ws", Path = path };
        var query = $"device={Uri.EscapeDataString(connection.Device)}&access_token={Uri.EscapeDataString(token)}";
        if (connection.ResumeAfter is { } after)
        {
            query += $"&after={after}";
        }

        ws.Query = query;
        return ws.Uri;
    }

    public Task HandshakeAsync(WsConnection connection, CancellationToken cancellationToken)
        => connection.Ready.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

    public void OnMessage(WsConnection connection, ReadOnlySpan<byte> message, bool hadDeliveries)
    {
        while (!message.IsEmpty)
        {
            var nl = message.IndexOf((byte)'\n');
            var line = nl < 0 ? message : message[..nl];
            message = nl < 0 ? [] : message[(nl + 1)..];
            if (line.IsEmpty || Json.Contains(line, "\"type\":\"entry\""u8))
            {
                continue;
            }

            var isOk = Json.Contains(line, "\"type\":\"ok\""u8);
            if (isOk || Json.Contains(line, "\"type\":\"error\""u8))
            {
                var rid = Json.StringAfter(line, "\"rid\":\""u8);
                if (rid is not null && connection.Pending.TryRemove(rid, out var pending))
                {
                    if (isOk)
                    {
                        pending.TrySetResult(Encoding.UTF8.GetString(line));
                    }
                    else
                    {
                        pending.TrySetException(new InvalidOperationException(Encoding.UTF8.GetString(line)));
                    }
                }
                else if (!isOk)
                {
                    Interlocked.Increment(ref connection.Errors);
                    connection.LastError = Encoding.UTF8.GetString(line);
                }

                continue;
            }

            if (Json.Contains(line, "\"type\":\"welcome\""u8))
            {
                connection.Head = Json.LongAfter(line, "\"head\":"u8) ?? 0;
                connection.Ready.TrySetResult();
            }
            else if (Json.Contains(line, "\"type\":\"presence\""u8))
            {
                var user = Json.StringAfter(line, "\"user\":\""u8);
                if (user is not null)
                {
                    connection.PresenceChanged?.Invoke(user, Json.Contains(line, "\"status\":\"online\""u8));
                }
            }
            else if (Json.Contains(line, "\"type\":\"reset\""u8))
            {
                Interlocked.Increment(ref connection.Errors);
                connection.LastError = "reset: " + Encoding.UTF8.GetString(line);
            }
        }
    }

    public byte[] Direct(WsConnection from, string to, string body, long n)
        => Encoding.UTF8.GetBytes($"{{\"type\":\"send\",\"rid\":\"s{n}\",\"to\":\"{to}\",\"body\":\"{body}\",\"clientMsgId\":\"m{n}\"}}");

    public byte[] Group(WsConnection from, string group, string body, long n)
        => Encoding.UTF8.GetBytes($"{{\"type\":\"send\",\"rid\":\"s{n}\",\"channel\":\"{group}\",\"body\":\"{body}\",\"clientMsgId\":\"m{n}\"}}");

    public (string Id, byte[] Frame) StoredDirect(WsConnection from, string to, string body, long n)
    {
        var rid = "a" + n;
        return (rid, Encoding.UTF8.GetBytes($"{{\"type\":\"send\",\"rid\":\"{rid}\",\"to\":\"{to}\",\"body\":\"{body}\",\"clientMsgId\":\"m{n}\"}}"));
    }

    public async Task<string> SetupGroupAsync(string name, IReadOnlyList<WsConnection> members, CancellationToken cancellationToken)
    {
        var creator = members[0];
        var others = members.Skip(1).Select(m => m.User).Distinct().Where(u => u != creator.User);
        var rid = "g" + Interlocked.Increment(ref _rid);
        var frame = Encoding.UTF8.GetBytes($"{{\"type\":\"group.create\",\"rid\":\"{rid}\",\"name\":{Json.Quote(name)},\"members\":{Json.Array(others)}}}");
        var reply = await creator.RequestAsync(rid, frame, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(reply);
        return doc.RootElement.GetProperty("channel").GetProperty("id").GetString()
            ?? throw new InvalidOperationException("group.create returned no channel id: " + reply);
    }

    public Task RejoinGroupAsync(string name, WsConnection member, CancellationToken cancellationToken)
        => Task.CompletedTask;

    public async Task SubscribePresenceAsync(WsConnection connection, IReadOnlyList<string> users, CancellationToken cancellationToken)
    {
        var rid = "p" + Interlocked.Increment(ref _rid);
        var frame = Encoding.UTF8.GetBytes($"{{\"type\":\"presence.sub\",\"rid\":\"{rid}\",\"users\":{Json.Array(users)}}}");
        await connection.RequestAsync(rid, frame, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    public long CursorAfterConnect(WsConnection connection) => connection.Head;

    private sealed record TokenRequest(string user);

    private sealed record TokenResponse(string? token);
}
