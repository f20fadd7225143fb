using System.Buffers;
using ChatKit.Messaging;

namespace ChatKit.Storage.LiteDb.Messaging;

/// <summary>
/// Where pending messages are kept until they are folded into the file: their history-block records (see
/// <see cref="BlockCodec"/>), one after another in large byte chunks shared by every channel. The writer adds to the
/// newest chunk; a chunk is collected when no pending layer points into it any more.
/// </summary>
/// <remarks>
/// A chunk is on the large-object heap from the start, so a pending message is bytes the collector never copies or
/// traces. Kept in a small buffer per channel (as until 2026-12-07), the records of the last couple of seconds were
/// promoted by every gen0 collection and again by every gen1 one: at 12,000 1:1 messages a second a LiteDB node ran
/// 3.4 gen0 and 1.7 gen1 collections a second, promoting 3–4 MB each, where the in-memory store (which keeps its
/// messages in chunks the same way, see <c>MessageArena</c> in ChatKit.Core) ran 1.1 and 0.1 promoting almost nothing.
/// Used by the writer only (one batch at a time); readers see a record once the batch holding it is merged into the
/// committed layer under the store's lock, and a record is never written again.
/// </remarks>
internal sealed class RecordChunks
{
    /// <summary>Large enough for the large-object heap (85,000 bytes), and for about 6,000 messages of 100 characters.</summary>
    private const int ChunkBytes = 1 << 20;

    private readonly ArrayBufferWriter<byte> _encoded = new(1024);
    private byte[] _chunk = [];
    private int _used;

    /// <summary>Encodes <paramref name="message"/> into the newest chunk (as not deleted); returns where it is.</summary>
    public PendingRecord Add(ChatMessage message)
    {
        _encoded.ResetWrittenCount();
        BlockCodec.WriteMessage(_encoded, message, deleted: false);
        ReadOnlySpan<byte> record = _encoded.WrittenSpan;
        if (_chunk.Length - _used < record.Length)
        {
            // A record larger than a chunk gets a chunk of its own, which takes nothing after it.
            _chunk = new byte[Math.Max(ChunkBytes, record.Length)];
            _used = 0;
        }

        record.CopyTo(_chunk.AsSpan(_used));
        var added = new PendingRecord(_chunk, _used, record.Length, message.SentAt.UtcTicks);
        _used += record.Length;
        return added;
    }
}

/// <summary>
/// A pending message's record in a chunk of <see cref="RecordChunks"/>, with its exact sent-at (the block form keeps
/// whole milliseconds, and a message read back before it is folded in must not differ from the one committed).
/// </summary>
internal readonly record struct PendingRecord(byte[] Chunk, int Offset, int Length, long SentAtTicks)
{
    public ReadOnlySpan<byte> Bytes => Chunk.AsSpan(Offset, Length);
}
