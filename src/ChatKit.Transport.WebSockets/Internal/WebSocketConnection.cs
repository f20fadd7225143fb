using System.Buffers;
using System.Net.WebSockets;
using ChatKit.Fanout;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;
using Microsoft.Extensions.Logging;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>
/// One WebSocket carrying one <see cref="ChatSession"/>: a receive loop that parses and dispatches frames one at a
/// time (so that a device's requests take effect in the order it sent them), and a writer with no thread of its own.
/// </summary>
/// <remarks>
/// <para>Whoever queues a frame for the session writes it, on its own thread, if the send side is free: the fan-out
/// of another device's message writes to this socket from the thread that handled that message, with no hand-off to
/// a thread-pool item per delivery. Frames that queue while a write is under way are packed into one message by the
/// thread that holds the send side. Replies go through the same queue as entries, so their order holds.</para>
/// <para>While this connection handles a received message, the writes for its own session wait until it is done, so
/// that a send's <c>ok</c> and the sender's own entry leave in one write.</para>
/// <para>A write that cannot complete at once (the peer reads slowly) continues on the thread pool, and the send side
/// stays taken until the queue is empty. No lock is held across I/O.</para>
/// <para>On the socket listener (<see cref="DirectSocketStream"/>) the writer frames each message itself, in room left
/// in front of it in the same buffer, and hands it to the socket in one non-blocking write: no copy into the
/// WebSocket's own buffer, no asynchronous operation when the socket takes it at once. The WebSocket still reads,
/// answers pings and closes, through the same stream, which keeps its frames and these apart.</para>
/// </remarks>
internal sealed class WebSocketConnection
{
    /// <summary>A packed message stops growing past this size; the rest waits for the next message.</summary>
    private const int PackLimitBytes = 64 * 1024;
    private const int InitialReceiveBuffer = 4096;

    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromDays(30);

    private readonly WebSocket _socket;
    private readonly DirectSocketStream? _direct;
    private readonly ChatSession _session;
    private readonly ChatKitTransport _transport;
    private readonly int _maxFrameBytes;
    private readonly ILogger _logger;
    private readonly PooledBufferWriter _sendBuffer = new();
    private readonly TaskCompletionSource _sendingDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _badFramesInARow;

    // 1 while one thread holds the send side (writes the queue); see WriteQueued.
    private int _writing;

    // True while the receive loop processes a message: its replies and this device's own entries wait for the end
    // of it, so that a send's ok and the sender's copy of the message leave in one write.
    private volatile bool _receiving;

    // Created only when needed, so that an idle connection carries no timer.
    private Timer? _abortTimer;
    private Timer? _expiryTimer;

    /// <param name="socket">The WebSocket.</param>
    /// <param name="direct">The stream under <paramref name="socket"/> when messages may be written to it directly.</param>
    /// <param name="session">The session the WebSocket carries.</param>
    /// <param name="transport">The transport.</param>
    public WebSocketConnection(WebSocket socket, DirectSocketStream? direct, ChatSession session, ChatKitTransport transport)
    {
        _socket = socket;
        _direct = direct;
        _session = session;
        _transport = transport;
        _maxFrameBytes = transport.ChatOptions.MaxFrameBytes;
        _logger = transport.Logger;
    }

    public async Task RunAsync(DateTimeOffset? authenticationExpires, CancellationToken requestAborted)
    {
        if (authenticationExpires is DateTimeOffset expires)
        {
            TimeSpan due = expires - _transport.Clock.GetUtcNow();
            if (due < MaxTimerDue)
            {
                _expiryTimer = new Timer(static s => ((ChatSession)s!).RequestClose(CloseCodes.AuthenticationExpired, "authentication expired"),
                    _session, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
            }
        }

        // Whoever asks for the close (heartbeat sweep, slow consumer, drain, logout, the client), the socket then
        // gets a bounded time to finish it.
        using CancellationTokenRegistration onClose = _session.CloseRequested.Register(static s => ((WebSocketConnection)s!).StartAbortTimer(), this);

        _session.OnFrameQueued(OnFrameQueued);
        StartWriting();
        SessionCloseKind kind = SessionCloseKind.Dropped;
        try
        {
            kind = await ReceiveLoopAsync(requestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Log.SocketError(_logger, _session.Id, ex);
            kind = KindOfServerClose() ?? SessionCloseKind.Dropped;
        }
        catch (Exception ex)
        {
            Log.ConnectionFailed(_logger, _session.Id, ex);
            kind = SessionCloseKind.Dropped;
        }
        finally
        {
            await _transport.Sessions.CloseAsync(_session, kind).ConfigureAwait(false);
            StartAbortTimer();
            await _sendingDone.Task.ConfigureAwait(false);
            onClose.Dispose();
            _expiryTimer?.Dispose();
            Interlocked.Exchange(ref _abortTimer, null)?.Dispose();
            if (_session.CloseCode == CloseCodes.SlowConsumer)
            {
                Log.SlowConsumer(_logger, _session.Id);
            }

            Log.SessionClosed(_logger, _session.Id, kind.ToString(), _session.CloseCode);
        }
    }

    /// <summary>
    /// Runs on whichever thread queued a frame for this session: it writes at once unless this connection is itself
    /// processing a received message, whose replies and own entries then go out together when it is done.
    /// </summary>
    private void OnFrameQueued()
    {
        if (!_receiving)
        {
            StartWriting();
        }
    }

    /// <summary>Takes the send side if no other thread holds it, and writes what is queued.</summary>
    private void StartWriting()
    {
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            WriteQueued();
        }
    }

    /// <summary>
    /// Writes the queue while the writes complete at once, packing the frames already waiting into one message. A
    /// write that must wait (the peer reads slowly) continues in <see cref="ContinueWritingAsync"/>, which keeps the
    /// send side until the queue is empty. Only the thread that holds the send side (<see cref="_writing"/>) runs this.
    /// </summary>
    private void WriteQueued()
    {
        while (true)
        {
            while (_socket.State == WebSocketState.Open && !MustStopSending())
            {
                int frames = 0;
                while (_sendBuffer.WrittenCount < PackLimitBytes && _session.TryRead(out OutgoingFrame frame))
                {
                    if (frames++ > 0)
                    {
                        _sendBuffer.Write(FramePacking.Separator);
                    }
                    else
                    {
                        // Room for the WebSocket frame's header, written once the payload's length is known.
                        _sendBuffer.GetSpan(DirectSocketStream.MaxHeaderLength);
                        _sendBuffer.Advance(DirectSocketStream.MaxHeaderLength);
                    }

                    frame.WriteTo(_sendBuffer);
                }

                if (frames == 0)
                {
                    break;
                }

                ValueTask send;
                try
                {
                    send = Send(_sendBuffer.WrittenMemory);
                }
                catch (Exception ex)
                {
                    SendFailed(ex);
                    return;
                }

                if (!send.IsCompletedSuccessfully)
                {
                    using (SuppressCallersFlow())
                    {
                        _ = ContinueWritingAsync(send);
                    }

                    return;
                }

                // Hand the buffer back: an idle connection holds no array.
                _sendBuffer.Release();
            }

            if (_session.IsQueueFinished || MustStopSending() || _socket.State != WebSocketState.Open)
            {
                // The send side stays taken: nothing is written after the close.
                using (SuppressCallersFlow())
                {
                    _ = CloseOutputAsync();
                }

                return;
            }

            // A full fence: the queue's count read next must not be read before the send side is seen free.
            Interlocked.Exchange(ref _writing, 0);

            // A frame queued after the last read but before the send side was free found it taken: take it back.
            if (_session.QueuedCount == 0 && !_session.IsQueueFinished || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
            {
                return;
            }
        }
    }

    /// <summary>Sends one packed message, which follows <see cref="DirectSocketStream.MaxHeaderLength"/> bytes of room in <paramref name="buffer"/>.</summary>
    private ValueTask Send(Memory<byte> buffer)
    {
        const int Room = DirectSocketStream.MaxHeaderLength;
        if (_direct is null)
        {
            return _socket.SendAsync(buffer[Room..], WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }

        int header = DirectSocketStream.WriteTextFrameHeader(buffer.Span[..Room], buffer.Length - Room);
        return _direct.SendAsync(buffer[(Room - header)..]);
    }

    /// <summary>
    /// Keeps the execution context of whoever queued the frame (often another device's request, with its logging
    /// scope and activity) out of the writes that continue later. Null when the flow is already suppressed (a write
    /// that completes at once can bring the thread back here inside the scope), as SuppressFlow is documented to throw then.
    /// </summary>
    private static AsyncFlowControl? SuppressCallersFlow() => ExecutionContext.IsFlowSuppressed() ? null : ExecutionContext.SuppressFlow();

    private async Task ContinueWritingAsync(ValueTask send)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            SendFailed(ex);
            return;
        }

        _sendBuffer.Release();
        WriteQueued();
    }

    private async Task CloseOutputAsync()
    {
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                (WebSocketCloseStatus status, string reason) = CloseFrame();
                await _socket.CloseOutputAsync(status, reason, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            SendFailed(ex);
            return;
        }

        _sendingDone.TrySetResult();
    }

    private void SendFailed(Exception ex)
    {
        if (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection is gone; the receive loop sees it too.
            Log.SocketError(_logger, _session.Id, ex);
        }
        else
        {
            Log.ConnectionFailed(_logger, _session.Id, ex);
        }

        _sendBuffer.Release();
        _socket.Abort();
        _sendingDone.TrySetResult();
    }

    private void StartAbortTimer()
    {
        if (Volatile.Read(ref _abortTimer) is null)
        {
            var timer = new Timer(static s => ((WebSocket)s!).Abort(), _socket, Timeout.Infinite, Timeout.Infinite);
            if (Interlocked.CompareExchange(ref _abortTimer, timer, null) is null)
            {
                timer.Change(_transport.EndpointOptions.CloseTimeout, Timeout.InfiniteTimeSpan);
            }
            else
            {
                timer.Dispose();
            }
        }
    }

    /// <summary>
    /// A slow or dead session stops at once (its device reconnects with its cursor); every other close first flushes
    /// what was queued before it, such as <c>drain</c> or the error that explains a 1008.
    /// </summary>
    private bool MustStopSending() => _session.CloseCode is CloseCodes.SlowConsumer or CloseCodes.HeartbeatTimeout;

    private (WebSocketCloseStatus Status, string Reason) CloseFrame()
    {
        int code = _session.CloseCode ?? CloseCodes.Normal;
        if (code is < 1000 or > 4999 or 1004 or 1005 or 1006 or 1015)
        {
            code = CloseCodes.Normal;
        }

        string reason = _session.CloseReason ?? "";
        if (reason.Length > 100)
        {
            reason = reason[..100];
        }

        return ((WebSocketCloseStatus)code, reason);
    }

    /// <summary>Whether a close was asked for (by the server, or by echoing the client's close).</summary>
    private bool Closing => _session.CloseCode is not null;

    private SessionCloseKind? KindOfServerClose() => Closing ? KindOf(_session.CloseCode) : null;

    /// <summary>
    /// How a close the server asked for counts for presence: a device told to come back (drain, slow consumer,
    /// expired authentication, a failed store) keeps its grace period so that subscribers see no flapping; every
    /// other server close ends presence at once.
    /// </summary>
    private static SessionCloseKind KindOf(int? code) =>
        code is CloseCodes.ServiceRestart or CloseCodes.SlowConsumer or CloseCodes.AuthenticationExpired or 1011 ? SessionCloseKind.Dropped : SessionCloseKind.Clean;

    private async Task<SessionCloseKind> ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            // Wait for data without holding a buffer: idle connections cost no array.
            ValueWebSocketReceiveResult first = await _socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            if (first.MessageType == WebSocketMessageType.Close)
            {
                return OnClientClose();
            }

            if (Closing)
            {
                // Closing: read and discard until the client's close frame arrives.
                await DiscardMessageAsync(first, cancellationToken).ConfigureAwait(false);
                continue;
            }

            _transport.Engine.Touch(_session);
            if (first.MessageType == WebSocketMessageType.Binary)
            {
                _session.RequestClose(CloseCodes.UnsupportedData, "binary messages are not supported");
                await DiscardMessageAsync(first, cancellationToken).ConfigureAwait(false);
                continue;
            }

            byte[] message = ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBuffer, _maxFrameBytes + 1));
            try
            {
                int length = 0;
                ValueWebSocketReceiveResult result = first;
                bool tooBig = false;
                while (!result.EndOfMessage)
                {
                    if (length == message.Length)
                    {
                        if (message.Length > _maxFrameBytes)
                        {
                            tooBig = true;
                            break;
                        }

                        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(message.Length * 2, _maxFrameBytes + 1));
                        message.AsSpan(0, length).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(message);
                        message = bigger;
                    }

                    int room = Math.Min(message.Length, _maxFrameBytes + 1) - length;
                    result = await _socket.ReceiveAsync(message.AsMemory(length, room), cancellationToken).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return OnClientClose();
                    }

                    length += result.Count;
                    if (length > _maxFrameBytes)
                    {
                        tooBig = true;
                        break;
                    }
                }

                if (tooBig)
                {
                    _session.RequestClose(CloseCodes.MessageTooBig, $"a message may have at most {_maxFrameBytes} bytes");
                    if (!result.EndOfMessage)
                    {
                        await DiscardMessageAsync(result, cancellationToken).ConfigureAwait(false);
                    }

                    continue;
                }

                _receiving = true;
                try
                {
                    await ProcessMessageAsync(message.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _receiving = false;
                }

                StartWriting();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(message);
            }
        }
    }

    private SessionCloseKind OnClientClose()
    {
        if (Closing)
        {
            // The client answered our close.
            return KindOf(_session.CloseCode);
        }

        WebSocketCloseStatus? status = _socket.CloseStatus;

        // Echo the client's code in our close frame.
        int code = status is { } s && (int)s is >= 1000 and <= 4999 and not (1004 or 1005 or 1006 or 1015) ? (int)s : CloseCodes.Normal;
        _session.RequestClose(code, "");
        return status is WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.EndpointUnavailable
            ? SessionCloseKind.Clean
            : SessionCloseKind.Dropped;
    }

    private async Task DiscardMessageAsync(ValueWebSocketReceiveResult result, CancellationToken cancellationToken)
    {
        if (result.EndOfMessage)
        {
            return;
        }

        byte[] scratch = ArrayPool<byte>.Shared.Rent(InitialReceiveBuffer);
        try
        {
            do
            {
                result = await _socket.ReceiveAsync(scratch.AsMemory(), cancellationToken).ConfigureAwait(false);
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private async Task ProcessMessageAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        bool any = false;
        foreach (ReadOnlyMemory<byte> json in FramePacking.Split(message))
        {
            any = true;
            if (Closing)
            {
                return;
            }

            if (!FrameParser.TryParse(json.Span, out ClientFrame frame, out string? rid, out string? error))
            {
                BadFrame(rid, error!);
                continue;
            }

            _badFramesInARow = 0;
            byte[]? reply = await _transport.Dispatcher.DispatchAsync(_session, frame, cancellationToken).ConfigureAwait(false);
            if (reply is not null)
            {
                _session.Send(reply);
            }
        }

        if (!any)
        {
            BadFrame(null, "An empty message carries no frame.");
        }
    }

    private void BadFrame(string? rid, string error)
    {
        _session.Send(ServerFrameWriter.Error(rid, ErrorCodes.BadRequest, error));
        if (++_badFramesInARow >= ProtocolLimits.MaxConsecutiveBadFrames)
        {
            Log.TooManyBadFrames(_logger, _session.Id, _badFramesInARow);
            _session.RequestClose(CloseCodes.PolicyViolation, "too many bad frames");
        }
    }
}
