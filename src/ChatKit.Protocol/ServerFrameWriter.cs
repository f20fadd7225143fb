using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using ChatKit.Protocol.Frames;

namespace ChatKit.Protocol;

/// <summary>
/// Writes the frames a server sends. Entry frames are split into a per-recipient prefix
/// (<c>{"type":"entry","seq":N</c>) and a shared tail, so that a message is serialized once and its bytes are
/// reused for every member's inbox (DESIGN.md section 3).
/// </summary>
public static class ServerFrameWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Indented = false };
    private static ReadOnlySpan<byte> EntryPrefix => "{\"type\":\"entry\",\"seq\":"u8;
    private static ReadOnlySpan<byte> MessageEntryHead => ",\"kind\":\"message\",\"message\":"u8;

    // The per-thread frame buffer (see RentedWriter).
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;
    [ThreadStatic] private static bool t_inUse;

    /// <summary>The longest prefix <see cref="WriteEntryPrefix"/> writes.</summary>
    public const int MaxEntryPrefixLength = 22 + 20;

    /// <summary>Writes <c>{"type":"entry","seq":N</c> into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="MaxEntryPrefixLength"/> bytes.</param>
    /// <param name="seq">The recipient's inbox sequence.</param>
    /// <returns>The number of bytes written.</returns>
    public static int WriteEntryPrefix(Span<byte> destination, long seq)
    {
        EntryPrefix.CopyTo(destination);
        Utf8Formatter.TryFormat(seq, destination[EntryPrefix.Length..], out int written);
        return EntryPrefix.Length + written;
    }

    /// <summary>Writes a whole entry frame: the prefix for <paramref name="seq"/> and the shared <paramref name="tail"/>.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="seq">The inbox sequence.</param>
    /// <param name="tail">A tail made by one of the <c>EntryTail</c> methods.</param>
    public static void WriteEntry(IBufferWriter<byte> output, long seq, ReadOnlySpan<byte> tail)
    {
        Span<byte> span = output.GetSpan(MaxEntryPrefixLength + tail.Length);
        int n = WriteEntryPrefix(span, seq);
        tail.CopyTo(span[n..]);
        output.Advance(n + tail.Length);
    }

    /// <summary>Writes a message object (PROTOCOL.md section 3).</summary>
    /// <param name="writer">The JSON writer.</param>
    /// <param name="message">The message fields.</param>
    public static void WriteMessageObject(Utf8JsonWriter writer, in MessageFields message)
    {
        writer.WriteStartObject();
        // Digits, formatted on the stack: a string per message would only be copied into the JSON and dropped.
        Span<byte> id = stackalloc byte[20];
        Utf8Formatter.TryFormat(message.Id, id, out int idLength);
        writer.WriteString("id"u8, id[..idLength]);
        writer.WriteString("channel"u8, message.Channel);
        writer.WriteNumber("channelSeq"u8, message.ChannelSeq);
        writer.WriteString("from"u8, message.From);
        writer.WriteString("device"u8, message.Device);
        writer.WriteString("body"u8, message.Body);
        if (message.MetaJson is { Length: > 0 } meta)
        {
            writer.WritePropertyName("meta"u8);
            writer.WriteRawValue(meta.Span, skipInputValidation: true);
        }

        writer.WriteString("clientMsgId"u8, message.ClientMsgId);
        writer.WriteNumber("sentAt"u8, message.SentAt);
        writer.WriteEndObject();
    }

    /// <summary>The serialized message object alone, to be embedded in entries, replies and history.</summary>
    /// <param name="message">The message fields.</param>
    public static byte[] MessageObject(in MessageFields message)
    {
        using RentedWriter frame = RentedWriter.Rent();
        WriteMessageObject(frame.Writer, message);
        return frame.ToArray();
    }

    /// <summary>
    /// The tail of a <c>message</c> entry, <c>,"kind":"message","message":{...}}</c>, in one pass and one array: the message
    /// object inside it (<see cref="MessageObjectOf"/>) serves replies and history too, so a message is encoded and
    /// held once.
    /// </summary>
    /// <param name="message">The message fields.</param>
    public static byte[] MessageEntryTail(in MessageFields message)
    {
        using RentedWriter frame = RentedWriter.Rent();
        frame.Buffer.Write(MessageEntryHead);
        WriteMessageObject(frame.Writer, message);
        frame.Writer.Flush();
        frame.Buffer.Write("}"u8);
        return frame.Buffer.WrittenSpan.ToArray();
    }

    /// <summary>The message object inside a tail from <see cref="MessageEntryTail(in MessageFields)"/>, without a copy.</summary>
    /// <param name="messageEntryTail">A <c>message</c> entry's tail.</param>
    public static ReadOnlyMemory<byte> MessageObjectOf(byte[] messageEntryTail)
    {
        ArgumentNullException.ThrowIfNull(messageEntryTail);
        return messageEntryTail.AsMemory(MessageEntryHead.Length, messageEntryTail.Length - MessageEntryHead.Length - 1);
    }

    /// <summary>The tail of a <c>read</c> entry.</summary>
    /// <param name="channel">The channel read.</param>
    /// <param name="upTo">The read mark.</param>
    public static byte[] ReadEntryTail(string channel, long upTo) => Tail(w =>
    {
        w.WriteString("kind"u8, "read"u8);
        w.WriteString("channel"u8, channel);
        w.WriteNumber("upTo"u8, upTo);
    });

    /// <summary>The tail of a <c>member</c> entry.</summary>
    /// <param name="channel">The group.</param>
    /// <param name="user">The user added or removed.</param>
    /// <param name="added"><see langword="true"/> for <c>added</c>, <see langword="false"/> for <c>removed</c>.</param>
    /// <param name="by">Who made the change.</param>
    public static byte[] MemberEntryTail(string channel, string user, bool added, string by) => Tail(w =>
    {
        w.WriteString("kind"u8, "member"u8);
        w.WriteString("channel"u8, channel);
        w.WriteString("user"u8, user);
        w.WriteString("change"u8, added ? "added"u8 : "removed"u8);
        w.WriteString("by"u8, by);
    });

    /// <summary>The <c>welcome</c> frame.</summary>
    /// <param name="user">The user.</param>
    /// <param name="device">The device.</param>
    /// <param name="session">The session id.</param>
    /// <param name="node">The node id.</param>
    /// <param name="head">The inbox head.</param>
    /// <param name="heartbeatMs">The heartbeat interval.</param>
    /// <param name="limits">The limits.</param>
    public static byte[] Welcome(string user, string device, string session, string node, long head, int heartbeatMs, WireLimits limits) => Frame(w =>
    {
        w.WriteString("type"u8, "welcome"u8);
        w.WriteString("user"u8, user);
        w.WriteString("device"u8, device);
        w.WriteString("session"u8, session);
        w.WriteString("node"u8, node);
        w.WriteNumber("head"u8, head);
        w.WriteNumber("heartbeatMs"u8, heartbeatMs);
        w.WriteStartObject("limits"u8);
        w.WriteNumber("maxFrameBytes"u8, limits.MaxFrameBytes);
        w.WriteNumber("maxBodyChars"u8, limits.MaxBodyChars);
        w.WriteNumber("maxGroupMembers"u8, limits.MaxGroupMembers);
        w.WriteEndObject();
    });

    /// <summary>The <c>reset</c> frame.</summary>
    /// <param name="head">The head the session continues after.</param>
    public static byte[] Reset(long head) => Frame(w =>
    {
        w.WriteString("type"u8, "reset"u8);
        w.WriteNumber("head"u8, head);
    });

    /// <summary>An <c>ok</c> reply; <paramref name="writeFields"/> adds the result fields.</summary>
    /// <param name="rid">The request id, or <see langword="null"/>.</param>
    /// <param name="writeFields">Writes the result properties, or <see langword="null"/> for none.</param>
    public static byte[] Ok(string? rid, Action<Utf8JsonWriter>? writeFields = null) => Frame(w =>
    {
        w.WriteString("type"u8, "ok"u8);
        if (rid is not null)
        {
            w.WriteString("rid"u8, rid);
        }

        writeFields?.Invoke(w);
    });

    /// <summary>The <c>ok</c> reply of <c>send</c>: <c>{"type":"ok","rid":R,"message":{...}}</c>.</summary>
    /// <param name="rid">The request id.</param>
    /// <param name="messageObject">A message object, as <see cref="MessageObject"/> writes it or <see cref="MessageObjectOf"/> finds it in an entry tail.</param>
    public static byte[] SendOk(string? rid, ReadOnlySpan<byte> messageObject)
    {
        // Not through Frame: the message bytes are a span, which a callback cannot capture.
        using RentedWriter frame = RentedWriter.Rent();
        Utf8JsonWriter w = frame.Writer;
        w.WriteStartObject();
        w.WriteString("type"u8, "ok"u8);
        if (rid is not null)
        {
            w.WriteString("rid"u8, rid);
        }

        w.WritePropertyName("message"u8);
        w.WriteRawValue(messageObject, skipInputValidation: true);
        w.WriteEndObject();
        return frame.ToArray();
    }

    /// <summary>
    /// Writes the <c>ok</c> reply of <c>send</c> straight into <paramref name="output"/>, the same bytes as
    /// <see cref="SendOk"/> returns, without an array of its own: the reply is mostly the message object, which the
    /// message's entry already holds.
    /// </summary>
    /// <param name="output">Where to write.</param>
    /// <param name="rid">The request id.</param>
    /// <param name="messageObject">A message object, as <see cref="SendOk"/> takes it.</param>
    public static void WriteSendOk(IBufferWriter<byte> output, string? rid, ReadOnlySpan<byte> messageObject)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (rid is not null && !IsWrittenVerbatim(rid))
        {
            // A rid that JSON or the encoder escapes: rare, so the writer that knows every escape does it.
            output.Write(SendOk(rid, messageObject));
            return;
        }

        ReadOnlySpan<byte> head = "{\"type\":\"ok\""u8;
        ReadOnlySpan<byte> ridHead = ",\"rid\":\""u8;
        ReadOnlySpan<byte> messageHead = ",\"message\":"u8;
        int ridLength = rid is null ? 0 : ridHead.Length + rid.Length + 1;
        int length = head.Length + ridLength + messageHead.Length + messageObject.Length + 1;
        Span<byte> span = output.GetSpan(length);
        head.CopyTo(span);
        int n = head.Length;
        if (rid is not null)
        {
            ridHead.CopyTo(span[n..]);
            n += ridHead.Length;
            foreach (char c in rid)
            {
                span[n++] = (byte)c;
            }

            span[n++] = (byte)'"';
        }

        messageHead.CopyTo(span[n..]);
        n += messageHead.Length;
        messageObject.CopyTo(span[n..]);
        n += messageObject.Length;
        span[n++] = (byte)'}';
        output.Advance(n);
    }

    /// <summary>
    /// Whether every character of <paramref name="text"/> appears in a JSON string as itself: printable ASCII that
    /// neither JSON nor the writer's default encoder escapes.
    /// </summary>
    private static bool IsWrittenVerbatim(string text)
    {
        foreach (char c in text)
        {
            if (c is < ' ' or > '~' or '"' or '\\' or '<' or '>' or '&' or '\'' or '+' or '`')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An <c>error</c> reply.</summary>
    /// <param name="rid">The request id, or <see langword="null"/> when none could be read.</param>
    /// <param name="code">One of <see cref="ErrorCodes"/>.</param>
    /// <param name="message">A sentence for a developer.</param>
    /// <param name="retryAfterMs">For <c>rate_limited</c>.</param>
    public static byte[] Error(string? rid, string code, string message, long? retryAfterMs = null) => Frame(w =>
    {
        w.WriteString("type"u8, "error"u8);
        if (rid is not null)
        {
            w.WriteString("rid"u8, rid);
        }

        w.WriteString("code"u8, code);
        w.WriteString("message"u8, message);
        if (retryAfterMs is long retry)
        {
            w.WriteNumber("retryAfterMs"u8, retry);
        }
    });

    /// <summary>The <c>pong</c> reply.</summary>
    /// <param name="rid">The request id, or <see langword="null"/>.</param>
    /// <param name="time">The server clock, Unix milliseconds.</param>
    public static byte[] Pong(string? rid, long time) => Frame(w =>
    {
        w.WriteString("type"u8, "pong"u8);
        if (rid is not null)
        {
            w.WriteString("rid"u8, rid);
        }

        w.WriteNumber("time"u8, time);
    });

    /// <summary>The <c>typing</c> event.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="user">Who is typing.</param>
    public static byte[] Typing(string channel, string user) => Frame(w =>
    {
        w.WriteString("type"u8, "typing"u8);
        w.WriteString("channel"u8, channel);
        w.WriteString("user"u8, user);
    });

    /// <summary>The <c>receipt</c> event.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="user">Who read.</param>
    /// <param name="upTo">The read mark.</param>
    public static byte[] Receipt(string channel, string user, long upTo) => Frame(w =>
    {
        w.WriteString("type"u8, "receipt"u8);
        w.WriteString("channel"u8, channel);
        w.WriteString("user"u8, user);
        w.WriteNumber("upTo"u8, upTo);
    });

    /// <summary>The <c>presence</c> event.</summary>
    /// <param name="user">The user.</param>
    /// <param name="online">The new status.</param>
    /// <param name="lastActiveAt">Unix milliseconds.</param>
    public static byte[] Presence(string user, bool online, long lastActiveAt) => Frame(w =>
    {
        w.WriteString("type"u8, "presence"u8);
        w.WriteString("user"u8, user);
        w.WriteString("status"u8, online ? "online"u8 : "offline"u8);
        w.WriteNumber("lastActiveAt"u8, lastActiveAt);
    });

    /// <summary>The <c>drain</c> event.</summary>
    /// <param name="retryAfterMs">How long the client should wait before reconnecting.</param>
    public static byte[] Drain(long retryAfterMs) => Frame(w =>
    {
        w.WriteString("type"u8, "drain"u8);
        w.WriteNumber("retryAfterMs"u8, retryAfterMs);
    });

    /// <summary>Writes a channel object (as in <c>channels</c>).</summary>
    /// <param name="w">The JSON writer.</param>
    /// <param name="channel">The channel fields.</param>
    /// <param name="lastMessageObject">A message object (from <see cref="MessageObject"/> or <see cref="MessageObjectOf"/>), or empty.</param>
    public static void WriteChannelObject(Utf8JsonWriter w, WireChannel channel, ReadOnlySpan<byte> lastMessageObject)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(channel);
        w.WriteStartObject();
        w.WriteString("id"u8, channel.Id);
        w.WriteString("kind"u8, channel.Kind);
        if (channel.Name is not null)
        {
            w.WriteString("name"u8, channel.Name);
        }

        w.WriteStartArray("members"u8);
        foreach (string member in channel.Members)
        {
            w.WriteStringValue(member);
        }

        w.WriteEndArray();
        if (channel.Owner is not null)
        {
            w.WriteString("owner"u8, channel.Owner);
        }

        w.WriteNumber("lastSeq"u8, channel.LastSeq);
        w.WriteNumber("readSeq"u8, channel.ReadSeq);
        w.WriteNumber("unread"u8, channel.Unread);
        if (!lastMessageObject.IsEmpty)
        {
            w.WritePropertyName("lastMessage"u8);
            w.WriteRawValue(lastMessageObject, skipInputValidation: true);
        }

        w.WriteEndObject();
    }

    /// <summary>Serializes one frame object whose properties <paramref name="writeProperties"/> writes.</summary>
    /// <param name="writeProperties">Writes the properties between the braces.</param>
    public static byte[] Frame(Action<Utf8JsonWriter> writeProperties)
    {
        ArgumentNullException.ThrowIfNull(writeProperties);
        using RentedWriter frame = RentedWriter.Rent();
        frame.Writer.WriteStartObject();
        writeProperties(frame.Writer);
        frame.Writer.WriteEndObject();
        return frame.ToArray();
    }

    /// <summary>
    /// The buffer and JSON writer one frame is built in: this thread's pair, or a fresh one when a frame is built while
    /// another is (a message serialized on first use inside a reply). Frames are copied out once, so the frame itself
    /// is the only allocation.
    /// </summary>
    private readonly ref struct RentedWriter
    {
        private readonly bool _rented;

        private RentedWriter(ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer, bool rented)
        {
            Buffer = buffer;
            Writer = writer;
            _rented = rented;
        }

        public ArrayBufferWriter<byte> Buffer { get; }

        public Utf8JsonWriter Writer { get; }

        public static RentedWriter Rent()
        {
            if (t_inUse)
            {
                var fresh = new ArrayBufferWriter<byte>(256);
                return new(fresh, new Utf8JsonWriter(fresh, WriterOptions), rented: false);
            }

            t_inUse = true;
            ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
            buffer.ResetWrittenCount();
            if (t_writer is { } writer)
            {
                writer.Reset(buffer);
            }
            else
            {
                writer = t_writer = new Utf8JsonWriter(buffer, WriterOptions);
            }

            return new(buffer, writer, rented: true);
        }

        /// <summary>What the writer wrote, as the frame's own array.</summary>
        public byte[] ToArray()
        {
            Writer.Flush();
            return Buffer.WrittenSpan.ToArray();
        }

        public void Dispose()
        {
            if (!_rented)
            {
                Writer.Dispose();
                return;
            }

            t_inUse = false;

            // Keep the per-thread buffer small: a rare huge reply must not pin its size on the thread forever.
            if (Buffer.Capacity > 64 * 1024)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    private static byte[] Tail(Action<Utf8JsonWriter> writeProperties)
    {
        // A tail continues an object already opened by the prefix: write a whole object and turn its '{' into ','.
        byte[] tail = Frame(writeProperties);
        tail[0] = (byte)',';
        return tail;
    }
}
