using System.Buffers;
using System.IO.Pipelines;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>
/// A Kestrel connection's pipes as the stream a <see cref="System.Net.WebSockets.WebSocket"/> reads and writes. A
/// zero-byte read waits for data without consuming it, so that an idle connection holds no buffer. Disposing it
/// leaves the pipes to Kestrel, which completes them when the connection ends.
/// </summary>
internal sealed class DuplexPipeStream(IDuplexPipe pipe) : AsyncDuplexStream
{
    private readonly PipeReader _input = pipe.Input;
    private readonly PipeWriter _output = pipe.Output;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
        ReadOnlySequence<byte> data = result.Buffer;
        int count = (int)Math.Min(data.Length, buffer.Length);
        data.Slice(0, count).CopyTo(buffer.Span);
        _input.AdvanceTo(data.GetPosition(count));
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The read was canceled.");
        }

        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        FlushResult result = await _output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The write was canceled.");
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken).AsTask();
}
