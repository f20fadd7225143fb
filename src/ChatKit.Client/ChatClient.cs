using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using ChatKit.Client.Internal;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;

namespace ChatKit.Client;

/// <summary>
/// A ChatKit client for one user on one device: connects over WebSocket with the device cursor, reconnects with
/// exponential backoff and jitter, resumes from the cursor, drops duplicate entries, raises typed events and
/// correlates requests with their replies by <c>rid</c> (PROTOCOL.md).
/// </summary>
/// <remarks>
/// <para>
/// Event handlers run one at a time, on one dispatcher task, in the order the server sent the events; the cursor
/// moves past an inbox entry only after that entry's handlers ran. A handler may await requests of this client.
/// </para>
/// <para>
/// Requests issued while the client reconnects wait for the new connection. A request whose connection drops
/// before the reply is sent again on the next one (a <c>send</c> with the same <c>clientMsgId</c>, so it is stored
/// once), except <see cref="CreateGroupAsync"/>, which could create a second group and fails with
/// <c>unavailable</c> instead.
/// </para>
/// </remarks>
public sealed partial class ChatClient : IAsyncDisposable, IConnectionOwner
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly ChatClientOptions _options;
    private readonly ICursorStore _cursorStore;
    private readonly Channel<DispatchItem> _events;
    private readonly CancellationTokenSource _disposeCts = new();
    private readonly Random _random = new();
    private readonly Lock _gate = new();
    private readonly AsyncLocal<bool> _onDispatcher = new();

    private ChatConnection? _current;
    private TaskCompletionSource _connectionSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _stopError;
    private Task? _supervisor;
    private Task? _dispatcher;
    private HttpClient? _http;
    private int _state = (int)ChatConnectionState.Disconnected;
    private int _started;
    private int _disposed;
    private long _rid;

    // The highest seq handed to the dispatcher (written by the receive loop of the one live connection) and the
    // highest seq whose handlers ran (written by the dispatcher). -1: no cursor yet.
    private long _receivedSeq = -1;
    private long _appliedSeq = -1;

    /// <summary>Creates a client. Nothing connects until <see cref="ConnectAsync"/>.</summary>
    /// <param name="options">The settings; validated here.</param>
    public ChatClient(ChatClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _cursorStore = options.CursorStore ?? new InMemoryCursorStore();
        _events = Channel.CreateBounded<DispatchItem>(new BoundedChannelOptions(options.EventQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
    }

    /// <summary>The connection state.</summary>
    public ChatConnectionState State => (ChatConnectionState)Volatile.Read(ref _state);

    /// <summary>The device cursor: the highest inbox <c>seq</c> whose handlers ran, or <see langword="null"/> before the first.</summary>
    public long? Cursor => Volatile.Read(ref _appliedSeq) is >= 0 and var c ? c : null;

    /// <summary>The server's <c>welcome</c> of the current (or last) session, or <see langword="null"/> before the first.</summary>
    public ConnectedEventArgs? Session { get; private set; }

    /// <summary>The authenticated user, once connected.</summary>
    public string? User => Session?.User;

    /// <summary>The device name.</summary>
    public string Device => _options.Device;

    /// <summary>
    /// Opens the first connection and waits for the server's <c>welcome</c>. Later losses of the connection are
    /// repaired automatically (see <see cref="ChatClientOptions.AutoReconnect"/>).
    /// </summary>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <exception cref="ChatClientException">
    /// The server refused the upgrade (<c>unauthorized</c> for 401, <c>forbidden</c> for 403, <c>bad_request</c>
    /// for 400) or could not be reached (<c>unavailable</c>).
    /// </exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        if (Interlocked.CompareExchange(ref _started, 1, 0) != 0)
        {
            throw new InvalidOperationException("ConnectAsync was already called; the client reconnects by itself.");
        }

        SetState(ChatConnectionState.Connecting);
        try
        {
            if (Volatile.Read(ref _appliedSeq) < 0)
            {
                long? cursor = await _cursorStore.LoadAsync(cancellationToken).ConfigureAwait(false);
                if (cursor is < 0)
                {
                    throw new InvalidOperationException($"The cursor store returned {cursor}; a cursor is never negative.");
                }

                Volatile.Write(ref _appliedSeq, cursor ?? -1);
                Volatile.Write(ref _receivedSeq, cursor ?? -1);
            }

            _dispatcher ??= Task.Run(DispatchLoopAsync);
            ChatConnection connection = await OpenAsync(isReconnect: false, cancellationToken).ConfigureAwait(false);
            _supervisor = Task.Run(() => SuperviseAsync(connection));
        }
        catch
        {
            Volatile.Write(ref _started, 0);
            SetState(ChatConnectionState.Disconnected);
            PulseConnectionSignal();
            throw;
        }
    }

    /// <summary>
    /// Closes the connection cleanly (the device goes offline at once), stops reconnecting, fails pending requests
    /// and waits for a running event handler to finish. Events not yet handled are dropped and, since the cursor
    /// did not pass them, delivered again by the next client that uses the same cursor store.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _disposeCts.CancelAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _current) is { } connection)
        {
            await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, CloseTimeout).ConfigureAwait(false);
        }

        if (_supervisor is { } supervisor)
        {
            await supervisor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        SetState(ChatConnectionState.Disconnected);
        PulseConnectionSignal();
        _events.Writer.TryComplete();
        if (_dispatcher is { } dispatcher && !_onDispatcher.Value)
        {
            await dispatcher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _http?.Dispose();
    }

    /// <summary>Drops the current connection without a close handshake, as a network failure would (for tests and tools).</summary>
    public void AbortConnection() => Volatile.Read(ref _current)?.Abort(new WebSocketException("The connection was aborted by the application."));

    ValueTask IConnectionOwner.OnFrameAsync(ChatConnection connection, ServerFrame frame)
    {
        switch (frame.Type)
        {
            case FrameTypes.Welcome:
                return OnWelcomeAsync(connection, frame);

            case FrameTypes.Entry:
                if (frame.Seq is not long seq)
                {
                    return ValueTask.CompletedTask;
                }

                long received = Volatile.Read(ref _receivedSeq);
                if (received >= 0)
                {
                    if (seq <= received)
                    {
                        // Already handed to the dispatcher (a resend after reconnect): never raise an event twice.
                        return ValueTask.CompletedTask;
                    }

                    if (seq != received + 1)
                    {
                        // The server promises no gaps; reconnecting with the cursor makes it send the missing range.
                        throw new InvalidDataException($"The inbox skipped from seq {received} to {seq}; reconnecting from the cursor.");
                    }
                }

                Volatile.Write(ref _receivedSeq, seq);
                return EnqueueAsync(new DispatchItem(DispatchKind.Entry, frame));

            case FrameTypes.Reset:
                long head = Math.Max(0, frame.Head ?? 0);
                Volatile.Write(ref _receivedSeq, head);
                return EnqueueAsync(new DispatchItem(DispatchKind.Reset, Value: head));

            case FrameTypes.Typing:
                return EnqueueAsync(new DispatchItem(DispatchKind.Typing, frame));

            case FrameTypes.Receipt:
                return EnqueueAsync(new DispatchItem(DispatchKind.Receipt, frame));

            case FrameTypes.Presence:
                return EnqueueAsync(new DispatchItem(DispatchKind.Presence, frame));

            default:
                // An error without rid (a complaint about a frame this client sent) or a type from a later version.
                return ValueTask.CompletedTask;
        }
    }

    private ValueTask OnWelcomeAsync(ChatConnection connection, ServerFrame welcome)
    {
        long head = Math.Max(0, welcome.Head ?? 0);
        long initCursor = -1;
        if (Volatile.Read(ref _receivedSeq) < 0)
        {
            // A device without a cursor starts at the head: live entries after it, and a cursor to resume from.
            Volatile.Write(ref _receivedSeq, head);
            initCursor = head;
        }

        TimeSpan heartbeat = TimeSpan.FromMilliseconds(Math.Max(0, welcome.HeartbeatMs ?? 0));
        var args = new ConnectedEventArgs(
            welcome.User ?? "", welcome.Device ?? _options.Device, welcome.Session, welcome.Node, head,
            _options.HeartbeatInterval ?? heartbeat, welcome.Limits, connection.IsReconnect, connection.Resumed);
        Session = args;
        return EnqueueAsync(new DispatchItem(DispatchKind.Connected, Args: args, Value: initCursor));
    }

    private async Task<ChatConnection> OpenAsync(bool isReconnect, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposeCts.Token);
        cts.CancelAfter(_options.ConnectTimeout);
        Uri? endpoint = null;
        ClientWebSocket? socket = null;
        try
        {
            string? token = _options.AccessTokenProvider is { } provider
                ? await provider(cts.Token).ConfigureAwait(false)
                : null;
            endpoint = await ResolveEndpointAsync(token, cts.Token).ConfigureAwait(false);
            long after = Volatile.Read(ref _receivedSeq);
            bool tokenInQuery = token is not null
                && (_options.AccessTokenTransport != AccessTokenTransport.Header || OperatingSystem.IsBrowser());
            bool tokenInHeader = token is not null
                && _options.AccessTokenTransport != AccessTokenTransport.QueryString && !OperatingSystem.IsBrowser();
            Uri uri = BuildConnectUri(endpoint, _options.Device, after >= 0 ? after : null, tokenInQuery ? token : null);

            socket = new ClientWebSocket();
            if (!OperatingSystem.IsBrowser())
            {
                socket.Options.CollectHttpResponseDetails = true;

                // The protocol's ping frames are the heartbeat; WebSocket control pings would not count (section 6).
                socket.Options.KeepAliveInterval = TimeSpan.Zero;
                if (tokenInHeader)
                {
                    socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
                }
            }

            if (_options.OfferSubProtocol)
            {
                socket.Options.AddSubProtocol(ProtocolLimits.SubProtocol);
            }

            _options.ConfigureWebSocket?.Invoke(socket.Options);
            await socket.ConnectAsync(uri, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ChatClientException && !cancellationToken.IsCancellationRequested && !_disposeCts.IsCancellationRequested)
        {
            ChatClientException mapped = MapConnectFailure(ex, socket, endpoint, cts.IsCancellationRequested);
            socket?.Dispose();
            throw mapped;
        }
        catch
        {
            socket?.Dispose();
            throw;
        }

        var connection = new ChatConnection(
            socket, this, _options.MaxReceiveMessageBytes, isReconnect, resumed: Volatile.Read(ref _receivedSeq) >= 0);
        connection.Start();
        ServerFrame welcome;
        try
        {
            welcome = await connection.Welcome.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            connection.Abort(ex);
            await connection.Completion.ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested || _disposeCts.IsCancellationRequested)
            {
                throw;
            }

            throw new ChatClientException(
                ErrorCodes.Unavailable,
                ex is OperationCanceledException
                    ? $"The server at {endpoint} did not send welcome within {_options.ConnectTimeout.TotalSeconds:0.#} s."
                    : $"The connection to {endpoint} closed before the server's welcome.",
                innerException: ex);
        }

        TimeSpan interval = _options.HeartbeatInterval ?? TimeSpan.FromMilliseconds(Math.Max(0, welcome.HeartbeatMs ?? 0));
        connection.StartHeartbeat(interval, _options.HeartbeatTimeout ?? interval);
        Volatile.Write(ref _current, connection);
        SetState(ChatConnectionState.Connected);
        PulseConnectionSignal();

        // DisposeAsync closes whatever _current it sees; a connection that opened after that is closed here.
        if (Volatile.Read(ref _disposed) == 1)
        {
            await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, CloseTimeout).ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(ChatClient));
        }

        return connection;
    }

    private static ChatClientException MapConnectFailure(Exception ex, ClientWebSocket? socket, Uri? endpoint, bool timedOut)
    {
        HttpStatusCode status = socket is not null && !OperatingSystem.IsBrowser() ? socket.HttpStatusCode : 0;
        if (status is not 0 and not HttpStatusCode.SwitchingProtocols)
        {
            string code = (int)status switch
            {
                400 => ErrorCodes.BadRequest,
                401 => ErrorCodes.Unauthorized,
                403 => ErrorCodes.Forbidden,
                404 => ErrorCodes.NotFound,
                429 => ErrorCodes.RateLimited,
                >= 500 and not 500 => ErrorCodes.Unavailable,
                _ => ErrorCodes.Internal,
            };
            TimeSpan? retryAfter = null;
            if (socket!.HttpResponseHeaders is { } headers && headers.TryGetValue("Retry-After", out IEnumerable<string>? values)
                && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
            {
                retryAfter = TimeSpan.FromSeconds(seconds);
            }

            return new ChatClientException(code, $"The server at {endpoint} refused the WebSocket upgrade with HTTP {(int)status}.", retryAfter, ex)
            {
                HttpStatusCode = (int)status,
            };
        }

        return new ChatClientException(
            ErrorCodes.Unavailable,
            timedOut ? $"Connecting to {endpoint} timed out." : $"Could not connect to {endpoint}: {ex.Message}",
            innerException: ex);
    }

    private async Task<Uri> ResolveEndpointAsync(string? token, CancellationToken cancellationToken)
    {
        if (_options.DiscoveryUri is not { } discovery)
        {
            return ToWebSocketUri(_options.ServerUri!);
        }

        try
        {
            _http ??= _options.HttpMessageHandler is { } handler ? new HttpClient(handler, disposeHandler: false) : new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, discovery);
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            DiscoveryResponse? found = await JsonSerializer.DeserializeAsync(body, ClientJsonContext.Default.DiscoveryResponse, cancellationToken)
                .ConfigureAwait(false);
            if (found?.Url is { Length: > 0 } url && Uri.TryCreate(url, UriKind.Absolute, out Uri? uri))
            {
                return ToWebSocketUri(uri);
            }

            throw new InvalidDataException("The discovery response has no url.");
        }
        catch (Exception) when (_options.ServerUri is not null && !cancellationToken.IsCancellationRequested)
        {
            // Discovery is an optimization: the configured endpoint still works.
            return ToWebSocketUri(_options.ServerUri);
        }
    }

    internal static Uri ToWebSocketUri(Uri uri)
    {
        if (uri.Scheme is "ws" or "wss")
        {
            return uri;
        }

        var builder = new UriBuilder(uri)
        {
            Scheme = uri.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
            Port = uri.IsDefaultPort ? -1 : uri.Port,
        };
        return builder.Uri;
    }

    internal static Uri BuildConnectUri(Uri endpoint, string device, long? after, string? accessToken)
    {
        var query = new StringBuilder(endpoint.Query.TrimStart('?'));
        Append(query, "device", device);
        if (after is long a)
        {
            Append(query, "after", a.ToString(CultureInfo.InvariantCulture));
        }

        if (accessToken is not null)
        {
            Append(query, "access_token", accessToken);
        }

        return new UriBuilder(endpoint) { Query = query.ToString() }.Uri;

        static void Append(StringBuilder query, string name, string value)
        {
            if (query.Length > 0)
            {
                query.Append('&');
            }

            query.Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }
    }

    private async Task SuperviseAsync(ChatConnection connection)
    {
        while (true)
        {
            await connection.Completion.ConfigureAwait(false);
            if (Volatile.Read(ref _disposed) == 1)
            {
                return;
            }

            bool reconnect = _options.AutoReconnect;
            SetState(reconnect ? ChatConnectionState.Reconnecting : ChatConnectionState.Disconnected);
            await EnqueueAsync(new DispatchItem(
                DispatchKind.Disconnected,
                Args: new DisconnectedEventArgs(connection.Error, connection.CloseStatus, connection.CloseDescription, reconnect)))
                .ConfigureAwait(false);
            if (!reconnect)
            {
                Stop(new ChatClientException(ErrorCodes.Unavailable, "The connection closed and AutoReconnect is off.", innerException: connection.Error));
                return;
            }

            ChatConnection? next = await ReconnectAsync(connection.DrainRetryAfter).ConfigureAwait(false);
            if (next is null)
            {
                return;
            }

            connection = next;
            _ = Task.Run(ResubscribePresenceAsync);
        }
    }

    private async Task<ChatConnection?> ReconnectAsync(TimeSpan? drainDelay)
    {
        Exception? lastError = null;
        int unauthorizedInARow = 0;
        for (int attempt = 0; ; attempt++)
        {
            if (_options.ReconnectPolicy.MaxAttempts is int max && attempt >= max)
            {
                Stop(new ChatClientException(ErrorCodes.Unavailable, $"Reconnecting failed {attempt} times; giving up.", innerException: lastError));
                return null;
            }

            // After drain the server said when to come back; spread the node's clients over as long again.
            TimeSpan delay = attempt == 0 && drainDelay is { } d
                ? d + TimeSpan.FromMilliseconds(_random.NextDouble() * Math.Max(d.TotalMilliseconds, _options.ReconnectPolicy.MinDelay.TotalMilliseconds))
                : _options.ReconnectPolicy.GetDelay(attempt, _random);
            await EnqueueAsync(new DispatchItem(DispatchKind.Reconnecting, Args: new ReconnectingEventArgs(attempt + 1, delay, lastError)))
                .ConfigureAwait(false);
            try
            {
                await Task.Delay(delay, _disposeCts.Token).ConfigureAwait(false);
                return await OpenAsync(isReconnect: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception) when (_disposeCts.IsCancellationRequested)
            {
                return null;
            }
            catch (ChatClientException ex) when (ex.HttpStatusCode is 400 or 403
                || (ex.HttpStatusCode is 401 && ++unauthorizedInARow >= 2))
            {
                // Retrying cannot help: a bad device name, a refused origin, or a token provider that keeps failing.
                Stop(ex);
                await EnqueueAsync(new DispatchItem(DispatchKind.Disconnected, Args: new DisconnectedEventArgs(ex, null, null, false)))
                    .ConfigureAwait(false);
                return null;
            }
            catch (Exception ex)
            {
                if (ex is not ChatClientException { HttpStatusCode: 401 })
                {
                    unauthorizedInARow = 0;
                }

                lastError = ex;
            }
        }
    }

    private void Stop(Exception error)
    {
        _stopError = error;
        Volatile.Write(ref _started, 0);
        SetState(ChatConnectionState.Disconnected);
        PulseConnectionSignal();
    }

    private void SetState(ChatConnectionState state) => Volatile.Write(ref _state, (int)state);

    private void PulseConnectionSignal()
    {
        TaskCompletionSource old;
        lock (_gate)
        {
            old = _connectionSignal;
            _connectionSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        old.TrySetResult();
    }

    private async ValueTask<ChatConnection> WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                signal = _connectionSignal.Task;
            }

            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
            if (Volatile.Read(ref _current) is { IsClosed: false } connection)
            {
                return connection;
            }

            if (State == ChatConnectionState.Disconnected)
            {
                throw _stopError is { } error
                    ? new ChatClientException(ErrorCodes.Unavailable, "The client is disconnected and no longer reconnects.", innerException: error)
                    : new InvalidOperationException("The client is not connected: call ConnectAsync first.");
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private ValueTask EnqueueAsync(DispatchItem item)
    {
        if (_events.Writer.TryWrite(item))
        {
            return ValueTask.CompletedTask;
        }

        return WriteSlowAsync(item);

        async ValueTask WriteSlowAsync(DispatchItem item)
        {
            try
            {
                await _events.Writer.WriteAsync(item, _disposeCts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
            {
                // Disposed: events are dropped, and entries come again to the next client with this cursor store.
            }
        }
    }

    private string NextRid() => Interlocked.Increment(ref _rid).ToString(CultureInfo.InvariantCulture);
}
