using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http;
using System.Net.WebSockets;
using System.Threading.Channels;
using ChatKit.LoadTest.Measure;
using ChatKit.LoadTest.Protocols;

namespace ChatKit.LoadTest.Net;

/// <summary>
/// One client WebSocket: a queue of frames to send (one writer loop, since a WebSocket allows one
/// send at a time and the open-loop scheduler must never wait for a socket), a receive loop that
/// hands every message to the protocol and counts the deliveries it carries.
/// </summary>
internal sealed class WsConnection
{
    private static readonly UnboundedChannelOptions QueueOptions = new() { SingleReader = true, AllowSynchronousContinuations = false };

    private readonly Channel<byte[]> _queue = Channel.CreateUnbounded<byte[]>(QueueOptions);
    private readonly ClientWebSocket _socket = new();
    private readonly int _receiveBufferSize;
    private long _deliveredTotal;
    private int _closed;
    private long _caughtUpTarget = long.MaxValue;
    private Task _receiver = Task.CompletedTask;
    private Task _sender = Task.CompletedTask;

    public WsConnection(int id, string user, string device, IWireProtocol protocol, int receiveBufferSize = 8192)
    {
        Id = id;
        User = user;
        Device = device;
        Protocol = protocol;
        _receiveBufferSize = receiveBufferSize;
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        _socket.Options.SetBuffer(receiveBufferSize, 4096);
    }

    public int Id { get; }

    public string User { get; }

    public string Device { get; }

    public IWireProtocol Protocol { get; }

    /// <summary>Where deliveries' latencies go (null: count only).</summary>
    public LatencyRecorder? Recorder { get; set; }

    /// <summary>Protocol state: ChatKit's inbox head from the welcome frame.</summary>
    public long Head { get; set; }

    public long DeliveredTotal => Interlocked.Read(ref _deliveredTotal);

    public int Errors;

    /// <summary>Free for the protocol's own per-connection state (handshake stage).</summary>
    public int ProtocolState;

    /// <summary>The cursor to resume from on connect (ChatKit <c>after</c>), or null for live only.</summary>
    public long? ResumeAfter { get; set; }

    public string? LastError { get; set; }

    public long LastSendTimestamp { get; private set; }

    public bool IsOpen => Volatile.Read(ref _closed) == 0 && _socket.State == WebSocketState.Open;

    /// <summary>Completed by the protocol when the handshake is done.</summary>
    public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed when <see cref="DeliveredTotal"/> reaches <see cref="ExpectCaughtUp"/>'s target.</summary>
    public TaskCompletionSource<long> CaughtUp { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Replies the generator waits for, by request id.</summary>
    public ConcurrentDictionary<string, TaskCompletionSource<string>> Pending { get; } = new();

    /// <summary>Presence events: user, online.</summary>
    public Action<string, bool>? PresenceChanged { get; set; }

    public void ExpectCaughtUp(long deliveries)
    {
        Volatile.Write(ref _caughtUpTarget, deliveries);
        if (DeliveredTotal >= deliveries)
        {
            CaughtUp.TrySetResult(Stopwatch.GetTimestamp());
        }
    }

    public async Task ConnectAsync(Uri uri, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        await _socket.ConnectAsync(uri, invoker, cancellationToken).ConfigureAwait(false);
        _receiver = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        _sender = Task.Run(SendLoopAsync, CancellationToken.None);
        await Protocol.HandshakeAsync(this, cancellationToken).ConfigureAwait(false);
    }

    public void Send(byte[] frame)
    {
        LastSendTimestamp = Stopwatch.GetTimestamp();
        _queue.Writer.TryWrite(frame);
    }

    /// <summary>Sends a request and waits for its reply (matched by the protocol through <see cref="Pending"/>).</summary>
    public async Task<string> RequestAsync(string id, byte[] frame, TimeSpan timeout)
    {
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Pending[id] = tcs;
        Send(frame);
        try
        {
            return await tcs.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        finally
        {
            Pending.TryRemove(id, out _);
        }
    }

    public async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            await _sender.ConfigureAwait(false);
            if (_socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token).ConfigureAwait(false);
                await _receiver.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
        }
        finally
        {
            _socket.Dispose();
        }
    }

    /// <summary>Drops the TCP connection without a close frame.</summary>
    public void Abort()
    {
        Interlocked.Exchange(ref _closed, 1);
        _queue.Writer.TryComplete();
        _socket.Abort();
        _socket.Dispose();
    }

    private async Task SendLoopAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    await _socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            Fail(ex);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[_receiveBufferSize];
        byte[]? large = null;
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (Volatile.Read(ref _closed) == 0)
                    {
                        Fail(new WebSocketException($"server closed {(int?)_socket.CloseStatus} {_socket.CloseStatusDescription}"));
                    }

                    return;
                }

                if (result.EndOfMessage)
                {
                    Handle(buffer.AsSpan(0, result.Count));
                    continue;
                }

                // A message larger than the buffer: gather it in a pooled array.
                var count = result.Count;
                large = ArrayPool<byte>.Shared.Rent(buffer.Length * 4);
                buffer.AsSpan(0, count).CopyTo(large);
                while (!result.EndOfMessage)
                {
                    if (count == large.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(large.Length * 2);
                        large.AsSpan(0, count).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(large);
                        large = bigger;
                    }

                    result = await _socket.ReceiveAsync(large.AsMemory(count), CancellationToken.None).ConfigureAwait(false);
                    count += result.Count;
                }

                Handle(large.AsSpan(0, count));
                ArrayPool<byte>.Shared.Return(large);
                large = null;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            if (Volatile.Read(ref _closed) == 0)
            {
                Fail(ex);
            }
        }
    }

    private void Handle(ReadOnlySpan<byte> message)
    {
        var found = Payload.Scan(message, Id, Recorder);
        if (found > 0)
        {
            var total = Interlocked.Add(ref _deliveredTotal, found);
            if (total >= Volatile.Read(ref _caughtUpTarget))
            {
                CaughtUp.TrySetResult(Stopwatch.GetTimestamp());
            }
        }

        Protocol.OnMessage(this, message, found > 0);
    }

    private void Fail(Exception ex)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            Interlocked.Increment(ref Errors);
            LastError = ex.Message;
        }

        Ready.TrySetException(ex);
        foreach (var pending in Pending.Values)
        {
            pending.TrySetException(ex);
        }
    }
}
