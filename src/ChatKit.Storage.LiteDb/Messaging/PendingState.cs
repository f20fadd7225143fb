using System.Buffers;
using ChatKit.Messaging;
using ChatKit.Sync;

namespace ChatKit.Storage.LiteDb.Messaging;

/// <summary>
/// Changes that are durable in the journal but not yet folded into the file's indexed layout (see
/// <see cref="LiteDbMessageStore"/>). The same type holds one batch's changes until its transaction commits and,
/// merged, everything committed since the last materialization.
/// </summary>
/// <remarks>
/// Pending changes live for a materialization interval (2 s by default), long enough to be promoted by every
/// collection in between. So they are kept in forms the collector does not have to trace object by object: a
/// channel's messages as the bytes a history block will hold (in the large chunks of <see cref="RecordChunks"/>), an
/// inbox's message entries as positions in a channel.
/// A <see cref="ChatMessage"/> with its strings, its <see cref="InboxItem"/> and a dedupe key per message, held
/// that long, made the gen1 collections of a LiteDB node at 8,000 1:1 messages a second promote about 6 MB each and
/// pause it for 20 ms (median; up to 50 ms), which set its capacity (see docs/benchmarks.md).
/// </remarks>
internal sealed class PendingState
{
    /// <summary>Channels whose identity, membership, last <c>channelSeq</c> or history changed.</summary>
    public Dictionary<string, PendingChannel> Channels { get; } = new(StringComparer.Ordinal);

    /// <summary>Inboxes that got entries.</summary>
    public Dictionary<string, PendingInbox> Inboxes { get; } = new(StringComparer.Ordinal);

    /// <summary>Membership rows (<c>USER|CHANNEL</c>) that changed, by user and then channel.</summary>
    public Dictionary<string, Dictionary<string, MemberRow>> Members { get; } = new(StringComparer.Ordinal);

    /// <summary>A rough size: messages, inbox entries and other rows held.</summary>
    public int Items { get; private set; }

    public bool IsEmpty => Channels.Count == 0 && Inboxes.Count == 0 && Members.Count == 0;

    public PendingChannel Channel(string channelId)
    {
        if (!Channels.TryGetValue(channelId, out PendingChannel? pending))
        {
            Channels[channelId] = pending = new PendingChannel(channelId);
        }

        return pending;
    }

    /// <summary>
    /// Adds a new message, stored as <paramref name="record"/>; <paramref name="creates"/> when it creates its
    /// (direct) channel.
    /// </summary>
    public void AddMessage(ChatChannel snapshot, ChatMessage message, PendingRecord record, bool creates)
    {
        PendingChannel pending = Channel(snapshot.Id);
        pending.Snapshot = snapshot;
        pending.Redefined |= creates;
        pending.Add(message.ChannelSeq, record);
        Items++;
    }

    public void MarkDeleted(string channelId, long channelSeq)
    {
        (Channel(channelId).Deleted ??= []).Add(channelSeq);
        Items++;
    }

    public void Append(string user, PendingEntry entry, long first)
    {
        if (!Inboxes.TryGetValue(user, out PendingInbox? inbox))
        {
            Inboxes[user] = inbox = new PendingInbox();
        }

        inbox.Entries.Add(entry);
        inbox.First = first;
        Items++;
    }

    public void SetMember(string user, string channelId, MemberRow row)
    {
        if (!Members.TryGetValue(user, out Dictionary<string, MemberRow>? rows))
        {
            Members[user] = rows = new Dictionary<string, MemberRow>(StringComparer.Ordinal);
        }

        rows[channelId] = row;
        Items++;
    }

    public MemberRow? Member(string user, string channelId) =>
        Members.TryGetValue(user, out Dictionary<string, MemberRow>? rows) && rows.TryGetValue(channelId, out MemberRow? row) ? row : null;

    /// <summary>
    /// Adds a later batch's changes to these (the writer holds the readers' lock while it does). A channel or inbox
    /// that has nothing here yet is taken over from <paramref name="later"/> instead of copied: every caller drops
    /// <paramref name="later"/> afterwards.
    /// </summary>
    public void MergeFrom(PendingState later)
    {
        foreach ((string id, PendingChannel change) in later.Channels)
        {
            if (!Channels.TryGetValue(id, out PendingChannel? target))
            {
                Channels[id] = change;
                continue;
            }

            target.Snapshot = change.Snapshot ?? target.Snapshot;
            target.Redefined |= change.Redefined;
            target.AddRange(change);
            if (change.Deleted is not null)
            {
                (target.Deleted ??= []).UnionWith(change.Deleted);
            }
        }

        foreach ((string user, PendingInbox change) in later.Inboxes)
        {
            if (!Inboxes.TryGetValue(user, out PendingInbox? target))
            {
                Inboxes[user] = change;
                continue;
            }

            target.Entries.AddRange(change.Entries);
            target.First = change.First;
        }

        foreach ((string user, Dictionary<string, MemberRow> rows) in later.Members)
        {
            if (!Members.TryGetValue(user, out Dictionary<string, MemberRow>? target))
            {
                Members[user] = rows;
                continue;
            }

            foreach ((string channelId, MemberRow row) in rows)
            {
                target[channelId] = row;
            }
        }

        Items += later.Items;
    }

    public void Clear()
    {
        Channels.Clear();
        Inboxes.Clear();
        Members.Clear();
        Items = 0;
    }
}

/// <summary>A channel's pending changes.</summary>
internal sealed class PendingChannel(string channelId)
{
    // The new messages in order, as records in the shared chunks (never deleted: deletions are in Deleted), so that
    // folding them in is a copy.
    private readonly List<PendingRecord> _records = [];

    public string ChannelId { get; } = channelId;

    /// <summary>The channel after the changes; <see langword="null"/> when only messages were deleted.</summary>
    public ChatChannel? Snapshot { get; set; }

    /// <summary>
    /// The channel is new or its kind, name, owner or members changed, so its document must be written when the
    /// changes are folded into the file (a message alone need not: see <c>LiteDbMessageStore.DocumentDue</c>).
    /// </summary>
    public bool Redefined { get; set; }

    /// <summary>How many new messages there are: consecutive <c>channelSeq</c> from <see cref="FirstSeq"/>, after the file's last.</summary>
    public int Count => _records.Count;

    /// <summary>The first new message's <c>channelSeq</c> (when <see cref="Count"/> is not 0).</summary>
    public long FirstSeq { get; private set; }

    /// <summary>Messages deleted (in the file or among the new ones).</summary>
    public HashSet<long>? Deleted { get; set; }

    /// <summary>Adds the next new message, at <paramref name="channelSeq"/>, stored as <paramref name="record"/>.</summary>
    public void Add(long channelSeq, PendingRecord record)
    {
        if (_records.Count == 0)
        {
            FirstSeq = channelSeq;
        }

        _records.Add(record);
    }

    /// <summary>Appends a later batch's messages, which follow these.</summary>
    public void AddRange(PendingChannel later)
    {
        if (later.Count == 0)
        {
            return;
        }

        if (_records.Count == 0)
        {
            FirstSeq = later.FirstSeq;
        }

        _records.AddRange(later._records);
    }

    /// <summary>The new message at <paramref name="index"/> (0 is <see cref="FirstSeq"/>), decoded.</summary>
    public ChatMessage Message(int index)
    {
        int offset = 0;
        return BlockCodec.ReadMessage(_records[index].Bytes, ref offset, ChannelId, FirstSeq + index, out _, SentAt(index));
    }

    public DateTimeOffset SentAt(int index) => new(_records[index].SentAtTicks, TimeSpan.Zero);

    /// <summary>Writes the new messages <c>[from, to)</c> in block form, as not deleted.</summary>
    public void WriteRecords(ArrayBufferWriter<byte> writer, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            writer.Write(_records[i].Bytes);
        }
    }

    /// <summary>The pending message at <paramref name="channelSeq"/>, if it is one.</summary>
    public ChatMessage? Find(long channelSeq)
    {
        long index = channelSeq - FirstSeq;
        return _records.Count > 0 && index >= 0 && index < _records.Count ? Message((int)index) : null;
    }

    /// <summary>The newest new message with this sender and client message id (UTF-8), if there is one.</summary>
    public DedupeRow? FindDedupe(ReadOnlySpan<byte> from, ReadOnlySpan<byte> clientMsgId)
    {
        for (int i = _records.Count - 1; i >= 0; i--)
        {
            if (BlockCodec.HasDedupeKey(_records[i].Bytes, 0, from, clientMsgId))
            {
                return new DedupeRow(FirstSeq + i, SentAt(i));
            }
        }

        return null;
    }
}

/// <summary>An inbox's pending entries (consecutive <c>seq</c> after the file's head) and its first kept <c>seq</c>.</summary>
internal sealed class PendingInbox
{
    public List<PendingEntry> Entries { get; } = [];

    public long First { get; set; }

    public long Head => Entries[^1].Seq;

    /// <summary>The pending entry at <paramref name="seq"/>, if it is one.</summary>
    public PendingEntry? Find(long seq)
    {
        long index = seq - Entries[0].Seq;
        return index >= 0 && index < Entries.Count ? Entries[(int)index] : null;
    }
}

/// <summary>
/// A pending inbox entry. A message entry is its channel and <c>channelSeq</c> only, as in the file: the message is
/// in the channel's pending messages or in the file (see <see cref="PendingState"/>). Other entries (read marks,
/// membership) are rare and keep their <see cref="Other"/> item.
/// </summary>
internal readonly record struct PendingEntry(long Seq, string ChannelId, long ChannelSeq, long CreatedAtTicks, InboxItem? Other)
{
    public static PendingEntry For(InboxEntry entry) => entry.Item.Kind == InboxEntryKind.Message
        ? new PendingEntry(entry.Seq, entry.Item.ChannelId, entry.Item.Message!.ChannelSeq, entry.Item.CreatedAt.UtcTicks, null)
        : new PendingEntry(entry.Seq, entry.Item.ChannelId, 0, entry.Item.CreatedAt.UtcTicks, entry.Item);

    public DateTimeOffset CreatedAt => new(CreatedAtTicks, TimeSpan.Zero);
}

/// <summary>A user's row for one channel: still a member, and the read mark (which outlives leaving).</summary>
internal sealed record MemberRow(bool Member, long Read);

/// <summary>Where and when the message of a dedupe key was committed.</summary>
internal readonly record struct DedupeRow(long ChannelSeq, DateTimeOffset At);
