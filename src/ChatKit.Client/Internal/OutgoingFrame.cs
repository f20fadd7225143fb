using System.Buffers;

namespace ChatKit.Client.Internal;

/// <summary>One serialized client frame in a pooled array, waiting in a connection's send queue.</summary>
internal readonly record struct OutgoingFrame(byte[] Buffer, int Length)
{
    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
}
