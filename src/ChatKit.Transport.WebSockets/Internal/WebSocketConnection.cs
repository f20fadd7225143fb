using System.Buffers;
using System.Net.WebSockets;
using ChatKit.Fanout;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;
using Microsoft.Extensions.Logging;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>
/// One WebSocket carrying one <see cref="ChatSession"/>: a receive loop that parses and dispatches frames one at a
/// time (so that a device's requests take effect in the order it sent them), and a send loop that writes the
/// session's queue, packing the frames that are already waiting into one message. Replies go through the same
/// queue as entries, so their order holds. No lock is held across I/O.
/// </summary>
internal sealed class WebSocketConnection
{
    /// <summary>A packed message stops growing past this size; the rest waits for the next message.</summary>
    private const int PackLimitBytes = 64 * 1024;
    private const int InitialReceiveBuffer = 4096;

    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromDays(30);

    private readonly WebSocket _socket;
    private readonly ChatSession _session;
    private readonly ChatKitTransport _transport;
    private readonly int _maxFrameBytes;
    private readonly ILogger _logger;
    private int _badFramesInARow;

    // Created only when needed, so that an idle connection carries no timer.
    private Timer? _abortTimer;
    private Timer? _expiryTimer;

    public WebSocketConnection(WebSocket socket, ChatSession session, ChatKitTransport transport)
    {
        _socket = socket;
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

        Task sending = SendLoopAsync();
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
            await sending.ConfigureAwait(false);
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

    private async Task SendLoopAsync()
    {
        using var buffer = new PooledBufferWriter();
        try
        {
            while (await _session.WaitToReadAsync().ConfigureAwait(false))
            {
                if (_socket.State != WebSocketState.Open || MustStopSending())
                {
                    break;
                }

                int frames = 0;
                while (buffer.WrittenCount < PackLimitBytes && _session.TryRead(out OutgoingFrame frame))
                {
                    if (frames++ > 0)
                    {
                        buffer.Write(FramePacking.Separator);
                    }

                    frame.WriteTo(buffer);
                }

                if (frames > 0)
                {
                    await _socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                }

                // Hand the buffer back: an idle connection holds no array.
                buffer.Release();
            }

            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                (WebSocketCloseStatus status, string reason) = CloseFrame();
                await _socket.CloseOutputAsync(status, reason, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection is gone; the receive loop sees it too.
            Log.SocketError(_logger, _session.Id, ex);
            _socket.Abort();
        }
        catch (Exception ex)
        {
            Log.ConnectionFailed(_logger, _session.Id, ex);
            _socket.Abort();
        }
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

                await ProcessMessageAsync(message.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
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
