using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChatKit.Testing;

/// <summary>
/// A raw protocol client for tests: a real <see cref="ClientWebSocket"/>, frames kept as <see cref="JsonElement"/>s in
/// arrival order, requests matched by rid. Written from PROTOCOL.md alone (it does not use ChatKit.Client).
/// </summary>
public sealed class TestClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly List<JsonElement> _frames = [];
    private readonly HashSet<int> _taken = [];
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _reader;
    private int _rid;

    private TestClient(ClientWebSocket socket)
    {
        Socket = socket;
    }

    public ClientWebSocket Socket { get; }

    /// <summary>WebSocket messages received (a packed message counts once).</summary>
    public int MessagesReceived { get; private set; }

    public JsonElement Welcome { get; private set; }

    public string? CloseDescription { get; private set; }

    public static async Task<TestClient> ConnectAsync(Uri endpoint, string? token, string device, long? after = null,
        string? origin = null, string[]? subProtocols = null, bool startReading = true, string? extraQuery = null)
    {
        var socket = new ClientWebSocket();
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        foreach (string p in subProtocols ?? [])
        {
            socket.Options.AddSubProtocol(p);
        }

        var query = new StringBuilder("?device=").Append(Uri.EscapeDataString(device));
        if (after is long a)
        {
            query.Append("&after=").Append(a);
        }

        if (token is not null)
        {
            query.Append("&access_token=").Append(Uri.EscapeDataString(token));
        }

        if (extraQuery is not null)
        {
            query.Append('&').Append(extraQuery);
        }

        using var cts = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(new Uri(endpoint + query.ToString()), cts.Token);
        var client = new TestClient(socket);
        if (startReading)
        {
            client.StartReading();
            client.Welcome = await client.WaitAsync(f => f.Type() == "welcome");
        }

        return client;
    }

    /// <summary>Tries to connect and returns the HTTP status of the handshake (101 when it was accepted).</summary>
    public static async Task<int> HandshakeStatusAsync(Uri endpoint, string? token, string? query, string? origin = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        string q = query ?? "";
        if (token is not null)
        {
            q += (q.Length == 0 ? "" : "&") + "access_token=" + Uri.EscapeDataString(token);
        }

        using var cts = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await socket.ConnectAsync(new Uri(endpoint + (q.Length > 0 ? "?" + q : "")), cts.Token);
            int status = (int)socket.HttpStatusCode;
            socket.Abort();
            return status;
        }
        catch (WebSocketException)
        {
            return (int)socket.HttpStatusCode;
        }
    }

    public void StartReading() => _reader ??= Task.Run(ReadLoopAsync);

    public async Task SendTextAsync(string text)
    {
        await _sendLock.WaitAsync();
        try
        {
            await Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task SendBytesAsync(byte[] bytes, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync();
        try
        {
            await Socket.SendAsync(bytes, type, true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends a request with a fresh rid and returns the rid.</summary>
    public async Task<string> SendRequestAsync(string type, object? fields = null)
    {
        string rid = "r" + Interlocked.Increment(ref _rid);
        JsonObject frame = fields is null ? [] : JsonSerializer.SerializeToNode(fields)!.AsObject();
        frame["type"] = type;
        frame["rid"] = rid;
        await SendTextAsync(frame.ToJsonString());
        return rid;
    }

    /// <summary>Sends a request and waits for its reply (ok, error or pong).</summary>
    public async Task<JsonElement> RequestAsync(string type, object? fields = null, TimeSpan? timeout = null)
    {
        string rid = await SendRequestAsync(type, fields);
        return await WaitAsync(f => f.Str("rid") == rid, timeout);
    }

    /// <summary>Sends a request and returns its ok reply; fails on an error.</summary>
    public async Task<JsonElement> OkAsync(string type, object? fields = null)
    {
        JsonElement reply = await RequestAsync(type, fields);
        if (reply.Type() != "ok" && reply.Type() != "pong")
        {
            throw new InvalidOperationException($"{type} failed: {reply}");
        }

        return reply;
    }

    /// <summary>Waits for the first frame, in arrival order, that matches and was not taken before; takes it.</summary>
    public async Task<JsonElement> WaitAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                for (int i = 0; i < _frames.Count; i++)
                {
                    if (!_taken.Contains(i) && match(_frames[i]))
                    {
                        _taken.Add(i);
                        return _frames[i];
                    }
                }

                changed = _changed.Task;
            }

            if (_closed.Task.IsCompleted)
            {
                // Frames are recorded before the close is: nothing more will come.
                throw new InvalidOperationException($"Connection closed ({_closed.Task.Result}) before a matching frame arrived. Frames: {Dump()}");
            }

            try
            {
                await Task.WhenAny(changed, _closed.Task).WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No matching frame within {timeout ?? DefaultTimeout}. Frames: {Dump()}");
            }
        }
    }

    /// <summary>Whether a matching frame (taken or not) has arrived so far.</summary>
    public bool Has(Func<JsonElement, bool> match)
    {
        lock (_gate)
        {
            return _frames.Any(match);
        }
    }

    public List<JsonElement> Frames()
    {
        lock (_gate)
        {
            return [.. _frames];
        }
    }

    /// <summary>The entry frames received so far, in order.</summary>
    public List<JsonElement> Entries() => Frames().Where(f => f.Type() == "entry").ToList();

    /// <summary>Waits until <paramref name="count"/> entries have arrived.</summary>
    public async Task<List<JsonElement>> WaitEntriesAsync(int count, TimeSpan? timeout = null)
    {
        await WaitUntilAsync(() => Entries().Count >= count, timeout);
        return Entries();
    }

    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition())
                {
                    return;
                }

                changed = _changed.Task;
            }

            try
            {
                await Task.WhenAny(changed, _closed.Task).WaitAsync(cts.Token);
                if (_closed.Task.IsCompleted)
                {
                    lock (_gate)
                    {
                        if (condition())
                        {
                            return;
                        }
                    }

                    throw new InvalidOperationException($"Connection closed ({_closed.Task.Result}) before the condition held. Frames: {Dump()}");
                }
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Condition not met within {timeout ?? DefaultTimeout}. Frames: {Dump()}");
            }
        }
    }

    /// <summary>Waits for the server's close; returns its status (null when the connection dropped without one).</summary>
    public async Task<WebSocketCloseStatus?> WaitClosedAsync(TimeSpan? timeout = null)
    {
        StartReading();
        return await _closed.Task.WaitAsync(timeout ?? DefaultTimeout);
    }

    public async Task CloseAsync(WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure)
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(DefaultTimeout);
            await Socket.CloseAsync(status, "bye", cts.Token);
        }
    }

    /// <summary>Drops the connection without a close frame.</summary>
    public void Drop() => Socket.Abort();

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
            }
        }
        catch (Exception)
        {
        }

        Socket.Abort();
        Socket.Dispose();
        if (_reader is not null)
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        }
    }

    private string Dump()
    {
        lock (_gate)
        {
            return string.Join('\n', _frames.TakeLast(20).Select(f => f.GetRawText()).Select(t => t.Length > 300 ? t[..300] + "…" : t));
        }
    }

    private async Task ReadLoopAsync()
    {
        byte[] buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                WebSocketReceiveResult result = await Socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseDescription = result.CloseStatusDescription;
                    _closed.TrySetResult(result.CloseStatus);
                    if (Socket.State == WebSocketState.CloseReceived)
                    {
                        await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }

                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                string text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                message.SetLength(0);
                lock (_gate)
                {
                    MessagesReceived++;
                    foreach (string line in text.Split('\n'))
                    {
                        if (line.Length > 0)
                        {
                            _frames.Add(JsonDocument.Parse(line).RootElement.Clone());
                        }
                    }

                    TaskCompletionSource old = _changed;
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    old.TrySetResult();
                }
            }
        }
        catch (Exception)
        {
            _closed.TrySetResult(null);
        }
        finally
        {
            lock (_gate)
            {
                _changed.TrySetResult();
            }
        }
    }
}

/// <summary>Shortcuts for reading frames.</summary>
public static class FrameExtensions
{
    public static string? Type(this JsonElement f) => f.Str("type");

    public static string? Str(this JsonElement f, string name) =>
        f.ValueKind == JsonValueKind.Object && f.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static long Long(this JsonElement f, string name) => f.GetProperty(name).GetInt64();

    public static bool Bool(this JsonElement f, string name) => f.GetProperty(name).GetBoolean();

    public static bool IsEntry(this JsonElement f, string kind) => f.Type() == "entry" && f.Str("kind") == kind;

    public static bool IsMessageEntry(this JsonElement f, string body) =>
        f.IsEntry("message") && f.GetProperty("message").Str("body") == body;
}
