using System.Buffers.Binary;
using System.Net.Sockets;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>
/// The stream under a WebSocket on ChatKit's socket listener, and a second way to write to the same socket: the
/// connection writes its whole, already framed messages with <see cref="SendAsync"/> (one non-blocking <c>send</c>
/// when the socket takes them: no copy into a buffer of the WebSocket's, no task), while the WebSocket writes its own
/// control frames (pong, close) through <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>. A
/// <see cref="SendGate"/> keeps the two from interleaving on the wire.
/// </summary>
/// <remarks>
/// Reads yield the bytes the client sent right behind its upgrade request first (<c>early</c>, still in the
/// handshake's buffer), then the socket. The socket is switched to non-blocking so that a write the kernel cannot
/// take at once returns instead of blocking the thread that queued the message; the rest is then written
/// asynchronously while the gate stays taken.
/// </remarks>
internal sealed class DirectSocketStream : AsyncDuplexStream
{
    private readonly Socket _socket;
    private readonly byte[] _early;
    private readonly SendGate _gate = new();
    private int _earlyRead;

    public DirectSocketStream(Socket socket, byte[] early)
    {
        _socket = socket;
        _early = early;
        _socket.Blocking = false;
    }

    /// <summary>The longest header of a server's (unmasked) WebSocket frame: 2 bytes, and 8 of extended length.</summary>
    public const int MaxHeaderLength = 10;

    /// <summary>
    /// Writes the header of one final, unmasked text frame (RFC 6455 section 5.2) at the end of
    /// <paramref name="room"/>, right in front of the payload that follows it.
    /// </summary>
    /// <returns>The header's length: 2, 4 or 10 bytes.</returns>
    public static int WriteTextFrameHeader(Span<byte> room, int payloadLength)
    {
        const byte FinalText = 0x81;
        int length = payloadLength switch
        {
            < 126 => 2,
            <= ushort.MaxValue => 4,
            _ => 10,
        };

        Span<byte> header = room[^length..];
        header[0] = FinalText;
        switch (length)
        {
            case 2:
                header[1] = (byte)payloadLength;
                break;
            case 4:
                header[1] = 126;
                BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)payloadLength);
                break;
            default:
                header[1] = 127;
                BinaryPrimitives.WriteUInt64BigEndian(header[2..], (ulong)payloadLength);
                break;
        }

        return length;
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> to the socket whole, after any write under way. Completes at once when the
    /// socket was free and took everything; otherwise the caller must keep <paramref name="bytes"/> intact until the
    /// returned task completes.
    /// </summary>
    /// <exception cref="IOException">The connection failed.</exception>
    /// <exception cref="ObjectDisposedException">The connection was closed.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> bytes)
    {
        if (!_gate.TryEnter())
        {
            return SendAfterGateAsync(bytes);
        }

        int sent;
        try
        {
            sent = SendNow(bytes.Span);
        }
        catch
        {
            _gate.Exit();
            throw;
        }

        if (sent == bytes.Length)
        {
            _gate.Exit();
            return default;
        }

        return SendRestAsync(bytes[sent..]);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => SendAsync(buffer);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int left = _early.Length - _earlyRead;
        if (left > 0)
        {
            int count = Math.Min(left, buffer.Length);
            _early.AsSpan(_earlyRead, count).CopyTo(buffer.Span);
            _earlyRead += count;
            return count;
        }

        try
        {
            return await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _socket.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>One non-blocking write: how many bytes the kernel took (0 when its buffer is full).</summary>
    private int SendNow(ReadOnlySpan<byte> bytes)
    {
        int sent = _socket.Send(bytes, SocketFlags.None, out SocketError error);
        return error switch
        {
            SocketError.Success => sent,
            SocketError.WouldBlock => 0,
            _ => throw new IOException($"Writing to the socket failed: {error}.", new SocketException((int)error)),
        };
    }

    private async ValueTask SendAfterGateAsync(ReadOnlyMemory<byte> bytes)
    {
        await _gate.EnterAsync().ConfigureAwait(false);
        await SendRestAsync(bytes).ConfigureAwait(false);
    }

    /// <summary>Writes what the socket did not take at once; the gate is held on entry and released at the end.</summary>
    private async ValueTask SendRestAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            while (bytes.Length > 0)
            {
                int sent = await _socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
                bytes = bytes[sent..];
            }
        }
        catch (SocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
        finally
        {
            _gate.Exit();
        }
    }
}
