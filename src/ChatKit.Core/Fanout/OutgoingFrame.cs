using System.Buffers;
using ChatKit.Protocol;

namespace ChatKit.Fanout;

/// <summary>
/// A frame waiting in a session's queue: whole bytes; an inbox entry as a <see cref="Seq"/> and the entry's shared
/// tail; or the <c>ok</c> reply of a <c>send</c> as its request id and the message object. Queueing an entry or a
/// send's reply allocates nothing: both are written from the message's one encoding when the frame is sent.
/// </summary>
public readonly struct OutgoingFrame
{
    // Set only for a send's reply, whose request id may be null.
    private readonly string? _rid;
    private readonly bool _isSendOk;

    /// <summary>A whole frame.</summary>
    /// <param name="frame">The frame's UTF-8 JSON.</param>
    public OutgoingFrame(ReadOnlyMemory<byte> frame)
    {
        Payload = frame;
        Seq = 0;
    }

    private OutgoingFrame(string? rid, ReadOnlyMemory<byte> messageObject)
    {
        Payload = messageObject;
        _rid = rid;
        _isSendOk = true;
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

    /// <summary>The frame, the entry's tail when <see cref="Seq"/> is positive, or a send reply's message object.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The inbox sequence of an entry frame; 0 for the other frames.</summary>
    public long Seq { get; }

    /// <summary>The <c>ok</c> reply of a <c>send</c> (<see cref="ServerFrameWriter.SendOk"/>).</summary>
    /// <param name="rid">The request id, or <see langword="null"/>.</param>
    /// <param name="messageObject">The message object, as <see cref="ServerFrameWriter.SendOk"/> takes it.</param>
    public static OutgoingFrame ForSendOk(string? rid, ReadOnlyMemory<byte> messageObject) => new(rid, messageObject);

    /// <summary>Writes the frame's JSON.</summary>
    /// <param name="output">Where to write.</param>
    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Seq > 0)
        {
            ServerFrameWriter.WriteEntry(output, Seq, Payload.Span);
        }
        else if (_isSendOk)
        {
            ServerFrameWriter.WriteSendOk(output, _rid, Payload.Span);
        }
        else
        {
            output.Write(Payload.Span);
        }
    }
}
