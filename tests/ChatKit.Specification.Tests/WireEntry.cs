using System.Buffers;
using System.Globalization;
using System.Text.Json;
using ChatKit.Fanout;
using ChatKit.Protocol;
using ChatKit.Sync;

namespace ChatKit.Specification;

/// <summary>
/// An inbox entry as a client sees it on the wire (PROTOCOL.md section 3), parsed from the bytes the server would
/// send. Tests compare these rather than store objects, so that they hold for every store, also those that rebuild
/// entries from their serialized form.
/// </summary>
/// <param name="Seq">The inbox sequence.</param>
/// <param name="Kind"><c>message</c>, <c>read</c> or <c>member</c>.</param>
/// <param name="Channel">The channel the entry is about.</param>
/// <param name="MessageId">For <c>message</c>: the message id.</param>
/// <param name="ChannelSeq">For <c>message</c>: the message's channelSeq.</param>
/// <param name="From">For <c>message</c>: the sender.</param>
/// <param name="Body">For <c>message</c>: the body.</param>
/// <param name="UpTo">For <c>read</c>: the read mark.</param>
/// <param name="User">For <c>member</c>: the user added or removed.</param>
/// <param name="Change">For <c>member</c>: <c>added</c> or <c>removed</c>.</param>
/// <param name="By">For <c>member</c>: who made the change.</param>
public sealed record WireEntry(
    long Seq,
    string Kind,
    string Channel,
    long? MessageId,
    long? ChannelSeq,
    string? From,
    string? Body,
    long? UpTo,
    string? User,
    string? Change,
    string? By)
{
    /// <summary>Parses one <c>entry</c> frame.</summary>
    /// <param name="json">The frame's UTF-8 JSON.</param>
    public static WireEntry Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using JsonDocument doc = JsonDocument.ParseValue(ref reader);
        return Parse(doc.RootElement);
    }

    /// <summary>Parses one <c>entry</c> frame.</summary>
    /// <param name="root">The frame object.</param>
    public static WireEntry Parse(JsonElement root)
    {
        if (root.GetProperty("type").GetString() != "entry")
        {
            throw new FormatException($"Not an entry frame: {root.GetRawText()}");
        }

        long seq = root.GetProperty("seq").GetInt64();
        string kind = root.GetProperty("kind").GetString()!;
        switch (kind)
        {
            case "message":
                JsonElement m = root.GetProperty("message");
                return new WireEntry(seq, kind, m.GetProperty("channel").GetString()!,
                    long.Parse(m.GetProperty("id").GetString()!, CultureInfo.InvariantCulture),
                    m.GetProperty("channelSeq").GetInt64(), m.GetProperty("from").GetString(), m.GetProperty("body").GetString(),
                    null, null, null, null);
            case "read":
                return new WireEntry(seq, kind, root.GetProperty("channel").GetString()!, null, null, null, null,
                    root.GetProperty("upTo").GetInt64(), null, null, null);
            case "member":
                return new WireEntry(seq, kind, root.GetProperty("channel").GetString()!, null, null, null, null, null,
                    root.GetProperty("user").GetString(), root.GetProperty("change").GetString(), root.GetProperty("by").GetString());
            default:
                throw new FormatException($"Unknown entry kind '{kind}'.");
        }
    }

    /// <summary>The entry as the server would send it.</summary>
    /// <param name="entry">An entry a store returned.</param>
    public static WireEntry Of(InboxEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ServerFrameWriter.WriteEntry(buffer, entry.Seq, entry.Item.GetEntryTail().Span);
        return Parse(buffer.WrittenSpan);
    }

    /// <summary>The entries of a page as the server would send them.</summary>
    /// <param name="entries">Entries a store returned.</param>
    public static IReadOnlyList<WireEntry> Of(IEnumerable<InboxEntry> entries) => entries.Select(Of).ToList();

    /// <summary>The frame's JSON, whatever it is (an entry or a whole frame).</summary>
    /// <param name="frame">A frame from a session's queue.</param>
    public static JsonElement ToJson(OutgoingFrame frame)
    {
        var buffer = new ArrayBufferWriter<byte>();
        frame.WriteTo(buffer);
        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        using JsonDocument doc = JsonDocument.ParseValue(ref reader);
        return doc.RootElement.Clone();
    }
}
