using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;

namespace ChatKit.Client.Internal;

/// <summary>
/// One WebSocket session: a receive loop that completes replies by <c>rid</c> and hands every other frame to the
/// owner, a send loop that packs queued frames into one message, and a heartbeat. A connection is used once; the
/// client opens a new one to reconnect.
/// </summary>
internal sealed class ChatConnection
{
    private const int InitialReceiveBufferSize = 16 * 1024;
    private const int ShrinkAboveBytes = 256 * 1024;

    private static readonly UnboundedChannelOptions OutgoingOptions = new()
    {
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    };

    private readonly ClientWebSocket _socket;
    private readonly IConnectionOwner _owner;
    private readonly int _maxReceiveBytes;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ServerFrame>> _pending = new(StringComparer.Ordinal);
    private readonly Channel<OutgoingFrame> _outgoing = Channel.CreateUnbounded<OutgoingFrame>(OutgoingOptions);
    private readonly CancellationTokenSource _cts = new();
    private readonly TaskCompletionSource<ServerFrame> _welcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Task _receiveLoop = Task.CompletedTask;
    private Task _sendLoop = Task.CompletedTask;
    private Task _heartbeatLoop = Task.CompletedTask;
    private int _maxSendBytes = int.MaxValue;
    private long _lastSendTimestamp;
    private long _pingSentTimestamp;
    private long _heartbeatCounter;
    private int _closed;

    public ChatConnection(ClientWebSocket socket, IConnectionOwner owner, int maxReceiveBytes, bool isReconnect, bool resumed)
    {
        _socket = socket;
        _owner = owner;
        _maxReceiveBytes = maxReceiveBytes;
        IsReconnect = isReconnect;
        Resumed = resumed;
    }

    /// <summary>Whether this connection replaced a lost one.</summary>
    public bool IsReconnect { get; }

    /// <summary>Whether it was opened with <c>after</c>.</summary>
    public bool Resumed { get; }

    /// <summary>Completes when the connection is closed and all its loops ended. Never faults.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The server's <c>welcome</c>.</summary>
    public Task<ServerFrame> Welcome => _welcome.Task;

    public bool IsClosed => Volatile.Read(ref _closed) == 1;

    /// <summary>What broke the connection; <see langword="null"/> after a clean close.</summary>
    public Exception? Error { get; private set; }

    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public string? CloseDescription { get; private set; }

    /// <summary>Set when the server sent <c>drain</c>: how long to wait before reconnecting.</summary>
    public TimeSpan? DrainRetryAfter { get; private set; }

    public void Start()
    {
        Volatile.Write(ref _lastSendTimestamp, Stopwatch.GetTimestamp());
        _receiveLoop = Task.Run(ReceiveLoopAsync);
        _sendLoop = Task.Run(SendLoopAsync);
        _ = Task.Run(SuperviseAsync);
    }

    /// <summary>Starts pinging when idle and calling the connection dead when a ping gets no answer.</summary>
    public void StartHeartbeat(TimeSpan interval, TimeSpan timeout)
    {
        if (interval <= TimeSpan.Zero || IsClosed)
        {
            return;
        }

        _heartbeatLoop = Task.Run(() => HeartbeatLoopAsync(interval, timeout));
    }

    /// <summary>Registers a pending request; throws <see cref="ConnectionLostException"/> if the connection is closed.</summary>
    public Task<ServerFrame> Register(string rid)
    {
        var tcs = new TaskCompletionSource<ServerFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[rid] = tcs;

        // Terminate sets _closed before it fails the pending requests: a request registered after that sees it here.
        if (IsClosed)
        {
            _pending.TryRemove(rid, out _);
            throw new ConnectionLostException("The connection closed before the request was sent.", Error);
        }

        return tcs.Task;
    }

    public void Unregister(string rid) => _pending.TryRemove(rid, out _);

    /// <summary>Queues a frame for sending.</summary>
    public void Enqueue(ClientFrame frame)
    {
        OutgoingFrame outgoing = FrameSerializer.Serialize(frame);
        if (outgoing.Length > Volatile.Read(ref _maxSendBytes))
        {
            int length = outgoing.Length;
            outgoing.Return();
            throw new ChatClientException(
                ErrorCodes.TooLarge, $"The {frame.Type} frame is {length} bytes; the server accepts at most {_maxSendBytes}.");
        }

        if (!_outgoing.Writer.TryWrite(outgoing))
        {
            outgoing.Return();
            throw new ConnectionLostException("The connection closed before the request was sent.", Error);
        }
    }

    /// <summary>Closes cleanly: sends what is queued, then a close frame, then waits briefly for the server's.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, TimeSpan timeout)
    {
        if (!IsClosed)
        {
            _outgoing.Writer.TryComplete();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await _sendLoop.WaitAsync(cts.Token).ConfigureAwait(false);
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(status, null, cts.Token).ConfigureAwait(false);
                }

                await _receiveLoop.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or TimeoutException)
            {
                // Best effort: the connection is torn down below either way.
            }

            Terminate(null);
        }

        await Completion.ConfigureAwait(false);
    }

    /// <summary>Tears the connection down at once (no close handshake).</summary>
    public void Abort(Exception? error) => Terminate(error);

    private void Terminate(Exception? error)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1)
        {
            return;
        }

        Error = error;
        _cts.Cancel();
        _outgoing.Writer.TryComplete();
        var lost = new ConnectionLostException("The connection closed before the reply arrived.", error);
        foreach (KeyValuePair<string, TaskCompletionSource<ServerFrame>> pending in _pending)
        {
            pending.Value.TrySetException(lost);
        }

        _pending.Clear();
        _welcome.TrySetException(new ConnectionLostException("The connection closed before the server's welcome.", error));
    }

    private async Task SuperviseAsync()
    {
        await _receiveLoop.ConfigureAwait(false);
        Terminate(null);
        try
        {
            await Task.WhenAll(_sendLoop, _heartbeatLoop).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loops report their own failures through Terminate.
        }

        while (_outgoing.Reader.TryRead(out OutgoingFrame left))
        {
            left.Return();
        }

        _socket.Dispose();
        _completion.TrySetResult();
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBufferSize);
        int count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    if (buffer.Length >= _maxReceiveBytes)
                    {
                        throw new InvalidDataException($"The server sent a message larger than {_maxReceiveBytes} bytes.");
                    }

                    byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_maxReceiveBytes, buffer.Length * 2));
                    buffer.AsSpan(0, count).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(buffer.AsMemory(count), _cts.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseStatus = _socket.CloseStatus;
                    CloseDescription = _socket.CloseStatusDescription;
                    await AnswerCloseAsync().ConfigureAwait(false);
                    return;
                }

                count += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                // Any frame from the server proves the connection alive: the outstanding heartbeat is answered.
                Volatile.Write(ref _pingSentTimestamp, 0);
                if (result.MessageType == WebSocketMessageType.Text)
                {
                    await ProcessMessageAsync(buffer.AsMemory(0, count)).ConfigureAwait(false);
                }

                count = 0;
                if (buffer.Length > ShrinkAboveBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBufferSize);
                }
            }
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            // Terminated or closed by us.
        }
        catch (Exception ex)
        {
            Terminate(ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task AnswerCloseAsync()
    {
        if (_socket.State != WebSocketState.CloseReceived)
        {
            return;
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The server closed already; nothing is lost.
        }
    }

    private async ValueTask ProcessMessageAsync(ReadOnlyMemory<byte> message)
    {
        foreach (ReadOnlyMemory<byte> segment in FramePacking.Split(message))
        {
            ServerFrame? frame;
            try
            {
                frame = JsonSerializer.Deserialize(segment.Span, ChatKitJsonContext.Default.ServerFrame);
            }
            catch (JsonException)
            {
                // A frame this client cannot read is skipped, as unknown fields are.
                continue;
            }

            if (frame?.Type is not { } type)
            {
                continue;
            }

            switch (type)
            {
                case FrameTypes.Welcome:
                    if (frame.Limits is { MaxFrameBytes: > 0 } limits)
                    {
                        Volatile.Write(ref _maxSendBytes, limits.MaxFrameBytes);
                    }

                    await _owner.OnFrameAsync(this, frame).ConfigureAwait(false);
                    _welcome.TrySetResult(frame);
                    break;

                case FrameTypes.Ok or FrameTypes.Error or FrameTypes.Pong:
                    if (frame.Rid is { } rid && _pending.TryRemove(rid, out TaskCompletionSource<ServerFrame>? tcs))
                    {
                        tcs.TrySetResult(frame);
                    }

                    break;

                case FrameTypes.Drain:
                    DrainRetryAfter = TimeSpan.FromMilliseconds(Math.Clamp(frame.RetryAfterMs ?? 0, 0, 60_000));

                    // The server closes with 1012 next; if it does not, do not wait for ever.
                    _ = AbortAfterAsync(DrainRetryAfter.Value + TimeSpan.FromSeconds(10));
                    break;

                default:
                    await _owner.OnFrameAsync(this, frame).ConfigureAwait(false);
                    break;
            }
        }
    }

    private async Task AbortAfterAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _cts.Token).ConfigureAwait(false);
            Terminate(new TimeoutException("The server sent drain but did not close the connection."));
        }
        catch (OperationCanceledException)
        {
            // Closed in time.
        }
        catch (ObjectDisposedException)
        {
            // Closed in time.
        }
    }

    private async Task SendLoopAsync()
    {
        ChannelReader<OutgoingFrame> reader = _outgoing.Reader;
        var pack = new PooledBufferWriter(4096);
        try
        {
            while (await reader.WaitToReadAsync(_cts.Token).ConfigureAwait(false))
            {
                // Pack whatever is already waiting into one message (PROTOCOL.md section 2); never wait to fill one.
                while (reader.TryRead(out OutgoingFrame frame))
                {
                    if (pack.WrittenCount > 0 && pack.WrittenCount + 1 + frame.Length > Volatile.Read(ref _maxSendBytes))
                    {
                        await SendPackAsync(pack).ConfigureAwait(false);
                    }

                    if (pack.WrittenCount > 0)
                    {
                        pack.Write(FramePacking.Separator);
                    }

                    pack.Write(frame.Span);
                    frame.Return();
                }

                await SendPackAsync(pack).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            // Terminated.
        }
        catch (Exception ex)
        {
            Terminate(ex);
        }
        finally
        {
            pack.Dispose();
        }
    }

    private async ValueTask SendPackAsync(PooledBufferWriter pack)
    {
        if (pack.WrittenCount == 0)
        {
            return;
        }

        await _socket.SendAsync(pack.WrittenMemory, WebSocketMessageType.Text, true, _cts.Token).ConfigureAwait(false);
        Volatile.Write(ref _lastSendTimestamp, Stopwatch.GetTimestamp());
        pack.Clear();
        pack.Shrink(ShrinkAboveBytes);
    }

    private async Task HeartbeatLoopAsync(TimeSpan interval, TimeSpan timeout)
    {
        TimeSpan tick = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(10).Ticks, Math.Min(interval.Ticks, timeout.Ticks) / 4));
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(_cts.Token).ConfigureAwait(false))
            {
                long pingSent = Volatile.Read(ref _pingSentTimestamp);
                if (pingSent != 0)
                {
                    if (Stopwatch.GetElapsedTime(pingSent) >= timeout)
                    {
                        Terminate(new TimeoutException($"The server did not answer a ping within {timeout.TotalMilliseconds:0} ms."));
                        return;
                    }

                    continue;
                }

                // Only an idle client pings: any frame it sent counts as a heartbeat (PROTOCOL.md section 6).
                if (Stopwatch.GetElapsedTime(Volatile.Read(ref _lastSendTimestamp)) >= interval)
                {
                    Volatile.Write(ref _pingSentTimestamp, Stopwatch.GetTimestamp());
                    long n = Interlocked.Increment(ref _heartbeatCounter);
                    try
                    {
                        Enqueue(new ClientFrame { Type = FrameTypes.Ping, Rid = "hb" + n.ToString(CultureInfo.InvariantCulture) });
                    }
                    catch (ConnectionLostException)
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Terminated.
        }
        catch (ObjectDisposedException)
        {
            // Terminated.
        }
    }
}
