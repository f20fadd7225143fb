using System.Buffers;
using ChatKit.Protocol;

namespace ChatKit.Fanout;

/// <summary>
/// A frame waiting in a session's queue: either whole bytes, or an inbox entry as a <see cref="Seq"/> and the
/// entry's shared tail, so that queueing an entry for a recipient allocates nothing.
/// </summary>
public readonly struct OutgoingFrame
{
    /// <summary>A whole frame.</summary>
    /// <param name="frame">The frame's UTF-8 JSON.</param>
    public OutgoingFrame(ReadOnlyMemory<byte> frame)
    {
        Payload = frame;
        Seq = 0;
    }

    /// <summary>An inbox entry.</summary>
    /// <param name="seq">The recipient's inbox sequence (at least 1).</param>
    /// <param name="entryTail">The entry's shared tail.</param>
    public OutgoingFrame(long seq, ReadOnlyMemory<byte> entryTail)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seq, 1);
        Payload = entryTail;
        Seq = seq;
    }

    /// <summary>The frame, or the entry's tail when <see cref="Seq"/> is positive.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The inbox sequence of an entry frame; 0 for a whole frame.</summary>
    public long Seq { get; }

    /// <summary>An upper bound of the bytes <see cref="WriteTo"/> writes.</summary>
    public int MaxLength => Payload.Length + (Seq > 0 ? ServerFrameWriter.MaxEntryPrefixLength : 0);

    /// <summary>Writes the frame's JSON.</summary>
    /// <param name="output">Where to write.</param>
    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Seq > 0)
        {
            ServerFrameWriter.WriteEntry(output, Seq, Payload.Span);
        }
        else
        {
            output.Write(Payload.Span);
        }
    }
}
