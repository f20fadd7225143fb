namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>A stream that yields <c>prefix</c> before what it reads from <c>inner</c>; writes go to <c>inner</c>.</summary>
internal sealed class PrefixedStream(byte[] prefix, Stream inner) : AsyncDuplexStream
{
    private int _prefixRead;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int left = prefix.Length - _prefixRead;
        if (left == 0)
        {
            return inner.ReadAsync(buffer, cancellationToken);
        }

        int count = Math.Min(left, buffer.Length);
        prefix.AsSpan(_prefixRead, count).CopyTo(buffer.Span);
        _prefixRead += count;
        return ValueTask.FromResult(count);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
