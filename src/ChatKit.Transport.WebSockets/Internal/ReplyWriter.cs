using System.Buffers;
using System.Text.Json;
using ChatKit.Messaging;
using ChatKit.Presence;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;
using ChatKit.Sync;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>Writes the result fields shared by WebSocket replies and HTTP bodies. Messages and entries are copied from their cached bytes.</summary>
internal static class ReplyWriter
{
    public static void WriteHistory(Utf8JsonWriter w, HistoryPage page)
    {
        w.WriteStartArray("messages"u8);
        foreach (ChatMessage m in page.Messages)
        {
            w.WriteRawValue(m.GetUtf8Json().Span, skipInputValidation: true);
        }

        w.WriteEndArray();
        w.WriteBoolean("hasMore"u8, page.HasMore);
    }

    public static void WriteSync(Utf8JsonWriter w, SyncResult result)
    {
        w.WriteStartArray("entries"u8);
        foreach (InboxEntry e in result.Entries)
        {
            WriteEntry(w, e);
        }

        w.WriteEndArray();
        w.WriteNumber("head"u8, result.Head);
        w.WriteBoolean("hasMore"u8, result.HasMore);
        w.WriteBoolean("reset"u8, result.Reset);
    }

    public static void WriteEntry(Utf8JsonWriter w, in InboxEntry entry)
    {
        ReadOnlySpan<byte> tail = entry.Item.GetEntryTail().Span;
        byte[] rented = ArrayPool<byte>.Shared.Rent(ServerFrameWriter.MaxEntryPrefixLength + tail.Length);
        try
        {
            int n = ServerFrameWriter.WriteEntryPrefix(rented, entry.Seq);
            tail.CopyTo(rented.AsSpan(n));
            w.WriteRawValue(rented.AsSpan(0, n + tail.Length), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static void WriteChannels(Utf8JsonWriter w, IReadOnlyList<ChannelSummary> channels, string viewer)
    {
        w.WriteStartArray("channels"u8);
        foreach (ChannelSummary s in channels)
        {
            WriteChannel(w, s, viewer);
        }

        w.WriteEndArray();
    }

    /// <summary>A channel object. A direct channel's <c>name</c> is the other user's id (the viewer's own for a self-chat).</summary>
    public static void WriteChannel(Utf8JsonWriter w, ChannelSummary summary, string viewer)
    {
        ChatChannel c = summary.Channel;
        string? name = c.Name;
        if (c.Kind == ChannelKind.Direct)
        {
            name = viewer;
            foreach (string m in c.Members)
            {
                if (!string.Equals(m, viewer, StringComparison.Ordinal))
                {
                    name = m;
                    break;
                }
            }
        }

        var wire = new WireChannel
        {
            Id = c.Id,
            Kind = c.Kind == ChannelKind.Direct ? "direct" : "group",
            Name = name,
            Members = [.. c.Members],
            Owner = c.Owner,
            LastSeq = c.LastSeq,
            ReadSeq = summary.ReadSeq,
            Unread = summary.Unread,
        };
        ServerFrameWriter.WriteChannelObject(w, wire, summary.LastMessage is { } last ? last.GetUtf8Json().Span : default);
    }

    public static void WritePresence(Utf8JsonWriter w, IReadOnlyList<PresenceInfo> presence)
    {
        w.WriteStartArray("presence"u8);
        foreach (PresenceInfo p in presence)
        {
            w.WriteStartObject();
            w.WriteString("user"u8, p.User);
            w.WriteString("status"u8, p.Online ? "online"u8 : "offline"u8);
            w.WriteNumber("lastActiveAt"u8, p.LastActiveAt?.ToUnixTimeMilliseconds() ?? 0);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    public static string? MetaJson(JsonElement? meta) =>
        meta is { } m && m.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) ? m.GetRawText() : null;

    public static long? RetryAfterMs(ChatException ex) =>
        ex.RetryAfter is { } r ? Math.Max(1, (long)Math.Ceiling(r.TotalMilliseconds)) : null;
}
