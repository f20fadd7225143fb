using System.Net.WebSockets;
using System.Threading.Channels;

namespace RelayBaseline;

/// <summary>One client connection with a queue of frames to write, so a forward never waits for a slow peer.</summary>
internal sealed class RelayConnection(WebSocket socket)
{
    private static readonly UnboundedChannelOptions QueueOptions = new() { SingleReader = true };

    private readonly Channel<byte[]> _queue = Channel.CreateUnbounded<byte[]>(QueueOptions);

    public WebSocket Socket { get; } = socket;

    public void Enqueue(byte[] frame) => _queue.Writer.TryWrite(frame);

    public void Complete() => _queue.Writer.TryComplete();

    public async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var frame))
                {
                    await Socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);
                }
            }
        }
        catch (WebSocketException)
        {
        }
        catch (OperationCanceledException)
        {
        }
    }
}
