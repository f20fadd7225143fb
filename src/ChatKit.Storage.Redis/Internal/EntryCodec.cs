using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ChatKit.Messaging;
using ChatKit.Protocol;
using ChatKit.Sync;

namespace ChatKit.Internal;

/// <summary>
/// How messages and inbox entries are stored. A message is its wire JSON (PROTOCOL.md section 3), so history and
/// inbox reads hand clients the bytes that were stored. An inbox entry is <c>createdAtMs|kind|payload</c>, with
/// kind <c>m</c> (payload: the message JSON), <c>r</c> (<c>channel|upTo</c>), <c>a</c> or <c>x</c> (member added or
/// removed: <c>channel|user|by</c>). Channel and user ids never contain <c>|</c>, and the free-form part comes last.
/// </summary>
internal static class EntryCodec
{
    private static readonly byte[] SeqMarker = "\"channelSeq\":0"u8.ToArray();

    /// <summary>
    /// The message JSON split around its <c>channelSeq</c>, which only the commit script knows: the script stores
    /// <c>prefix .. seq .. suffix</c>.
    /// </summary>
    public static (byte[] Prefix, byte[] Suffix) MessageTemplate(MessageDraft draft)
    {
        byte[] json = ServerFrameWriter.MessageObject(new MessageFields(
            draft.Id, draft.ChannelId, 0, draft.From, draft.Device, draft.Body,
            draft.MetaJson is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(draft.MetaJson),
            draft.ClientMsgId, draft.SentAt.ToUnixTimeMilliseconds()));

        // "channelSeq" follows "id" and "channel", whose values cannot hold a quote, so the first match is the property.
        int at = json.AsSpan().IndexOf(SeqMarker);
        int cut = at + SeqMarker.Length - 1;
        return (json[..cut], json[(cut + 1)..]);
    }

    public static ChatMessage ParseMessage(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        long id = 0, seq = 0, sentAt = 0;
        string channel = "", from = "", device = "", body = "", clientMsgId = "";
        string? meta = null;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "id":
                    id = long.Parse(reader.GetString()!, CultureInfo.InvariantCulture);
                    break;
                case "channel":
                    channel = reader.GetString()!;
                    break;
                case "channelSeq":
                    seq = reader.GetInt64();
                    break;
                case "from":
                    from = reader.GetString()!;
                    break;
                case "device":
                    device = reader.GetString()!;
                    break;
                case "body":
                    body = reader.GetString()!;
                    break;
                case "clientMsgId":
                    clientMsgId = reader.GetString()!;
                    break;
                case "sentAt":
                    sentAt = reader.GetInt64();
                    break;
                case "meta":
                    int start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    meta = Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new ChatMessage(id, channel, seq, from, device, body, meta, clientMsgId, DateTimeOffset.FromUnixTimeMilliseconds(sentAt));
    }

    public static byte[] MessageEntry(long createdAtMs, ReadOnlySpan<byte> messageJson) => Entry(createdAtMs, 'm', messageJson);

    public static byte[] ReadEntry(long createdAtMs, string channel, long upTo) =>
        Entry(createdAtMs, 'r', Encoding.UTF8.GetBytes(channel + "|" + upTo.ToString(CultureInfo.InvariantCulture)));

    public static byte[] MemberEntry(long createdAtMs, string channel, string user, bool added, string by) =>
        Entry(createdAtMs, added ? 'a' : 'x', Encoding.UTF8.GetBytes(channel + "|" + user + "|" + by));

    /// <summary>Rebuilds an inbox item from its stored form.</summary>
    public static InboxItem ParseEntry(ReadOnlySpan<byte> stored)
    {
        int bar = stored.IndexOf((byte)'|');
        if (!Utf8Parser.TryParse(stored[..bar], out long createdAtMs, out _))
        {
            throw new FormatException("Malformed inbox entry.");
        }

        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(createdAtMs);
        byte kind = stored[bar + 1];
        ReadOnlySpan<byte> payload = stored[(bar + 3)..];
        switch (kind)
        {
            case (byte)'m':
                return InboxItem.ForMessage(ParseMessage(payload));
            case (byte)'r':
            {
                string[] parts = Encoding.UTF8.GetString(payload).Split('|');
                return InboxItem.ForRead(parts[0], long.Parse(parts[1], CultureInfo.InvariantCulture), createdAt);
            }

            case (byte)'a':
            case (byte)'x':
            {
                string[] parts = Encoding.UTF8.GetString(payload).Split('|');
                return InboxItem.ForMember(parts[0], parts[1], kind == (byte)'a', parts[2], createdAt);
            }

            default:
                throw new FormatException("Unknown inbox entry kind.");
        }
    }

    /// <summary>
    /// An entry's side effect on the recipient's channel list: <c>+</c> add, <c>-</c> remove, <c>*</c> (a message) add
    /// unless the inbox already had an entry of the channel, empty none (see <see cref="Scripts.Append"/>).
    /// </summary>
    public static string EffectFor(ReadOnlySpan<byte> stored, string recipient)
    {
        int bar = stored.IndexOf((byte)'|');
        byte kind = stored[bar + 1];
        if (kind == (byte)'m')
        {
            return "*";
        }

        if (kind is (byte)'a' or (byte)'x')
        {
            string[] parts = Encoding.UTF8.GetString(stored[(bar + 3)..]).Split('|');
            if (string.Equals(parts[1], recipient, StringComparison.Ordinal))
            {
                return kind == (byte)'a' ? "+" : "-";
            }
        }

        return "";
    }

    private static byte[] Entry(long createdAtMs, char kind, ReadOnlySpan<byte> payload)
    {
        string head = createdAtMs.ToString(CultureInfo.InvariantCulture) + "|" + kind + "|";
        var result = new byte[head.Length + payload.Length];
        Encoding.ASCII.GetBytes(head, result);
        payload.CopyTo(result.AsSpan(head.Length));
        return result;
    }
}
