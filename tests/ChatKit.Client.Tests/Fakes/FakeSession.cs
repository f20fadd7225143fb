using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;
using Microsoft.AspNetCore.Http;

namespace ChatKit.Client.Tests.Fakes;

/// <summary>One accepted WebSocket of the fake server: an ordered send queue and a record of every frame received.</summary>
internal sealed class FakeSession
{
    private readonly WebSocket _socket;
    private readonly HttpContext _context;
    private readonly Channel<string> _outgoing = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeSession(WebSocket socket, HttpContext context, ConnectInfo info, int id)
    {
        _socket = socket;
        _context = context;
        Info = info;
        Id = id;
    }

    public ConnectInfo Info { get; }

    public int Id { get; }

    /// <summary>Every frame the client sent, in order.</summary>
    public Channel<ClientFrame> Received { get; } = Channel.CreateUnbounded<ClientFrame>();

    /// <summary>How many WebSocket messages the client sent (packed frames count once).</summary>
    public int MessagesReceived { get; private set; }

    public WebSocketCloseStatus? ClientCloseStatus { get; private set; }

    /// <summary>Completes when the socket is closed or broken.</summary>
    public Task Ended => _ended.Task;

    public void Enqueue(string text) => _outgoing.Writer.TryWrite(text);

    /// <summary>Sends several frames packed in one WebSocket message.</summary>
    public void EnqueuePacked(params string[] frames) => Enqueue(string.Join('\n', frames));

    public async Task<ClientFrame> NextFrameAsync(TimeSpan? timeout = null) =>
        await Received.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>The next frame of the given type, skipping others (heartbeat pings, typing…).</summary>
    public async Task<ClientFrame> NextFrameAsync(string type, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            ClientFrame frame = await Received.Reader.ReadAsync(cts.Token);
            if (frame.Type == type)
            {
                return frame;
            }
        }
    }

    /// <summary>Drops the TCP connection without a close frame.</summary>
    public void Abort()
    {
        _outgoing.Writer.TryComplete();
        try
        {
            _socket.Abort();
            _context.Abort();
        }
        catch (ObjectDisposedException)
        {
            // The request already ended.
        }
    }

    public async Task CloseAsync(WebSocketCloseStatus status, string? description = null)
    {
        _outgoing.Writer.TryComplete();
        try
        {
            await _socket.CloseOutputAsync(status, description, CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }
    }

    public async Task RunAsync(Func<FakeSession, ClientFrame, ValueTask> onFrame)
    {
        Task writer = WriteLoopAsync();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        int count = 0;
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ClientCloseStatus = _socket.CloseStatus;
                    break;
                }

                count += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                MessagesReceived++;
                foreach (ReadOnlyMemory<byte> segment in FramePacking.Split(buffer.AsMemory(0, count)))
                {
                    ClientFrame frame = JsonSerializer.Deserialize(segment.Span, ChatKitJsonContext.Default.ClientFrame)
                        ?? throw new InvalidDataException(Encoding.UTF8.GetString(segment.Span));
                    Received.Writer.TryWrite(frame);
                    await onFrame(this, frame);
                }

                count = 0;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _outgoing.Writer.TryComplete();
            _ended.TrySetResult();
        }

        try
        {
            await writer;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
        }

        if (_socket.State == WebSocketState.CloseReceived)
        {
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }
            catch (WebSocketException)
            {
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        await foreach (string text in _outgoing.Reader.ReadAllAsync())
        {
            if (_socket.State != WebSocketState.Open && _socket.State != WebSocketState.CloseReceived)
            {
                return;
            }

            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        }
    }
}
