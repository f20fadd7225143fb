using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;

namespace ChatKit.Client.Internal;

/// <summary>Serializes client frames with the source-generated context into pooled arrays.</summary>
internal static class FrameSerializer
{
    // Frames travel in WebSocket text messages, never in HTML: non-ASCII text (Korean, emoji) stays raw UTF-8
    // instead of six-byte escapes. JSON text never contains a raw newline either way, so packing stays safe.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static PooledBufferWriter? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static OutgoingFrame Serialize(ClientFrame frame)
    {
        PooledBufferWriter buffer = t_buffer ??= new PooledBufferWriter(1024);
        buffer.Clear();
        Utf8JsonWriter writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, frame, ChatKitJsonContext.Default.ClientFrame);
        writer.Flush();

        int length = buffer.WrittenCount;
        byte[] array = ArrayPool<byte>.Shared.Rent(length);
        buffer.WrittenSpan.CopyTo(array);
        buffer.Shrink(64 * 1024);
        return new OutgoingFrame(array, length);
    }
}
