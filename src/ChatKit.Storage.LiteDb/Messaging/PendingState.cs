using ChatKit.Messaging;
using ChatKit.Sync;

namespace ChatKit.Storage.LiteDb.Messaging;

/// <summary>
/// Changes that are durable in the journal but not yet folded into the file's indexed layout (see
/// <see cref="LiteDbMessageStore"/>). The same type holds one batch's changes until its transaction commits and,
/// merged, everything committed since the last materialization.
/// </summary>
internal sealed class PendingState
{
    /// <summary>Channels whose identity, membership, last <c>channelSeq</c> or history changed.</summary>
    public Dictionary<string, PendingChannel> Channels { get; } = new(StringComparer.Ordinal);

    /// <summary>Inboxes that got entries.</summary>
    public Dictionary<string, PendingInbox> Inboxes { get; } = new(StringComparer.Ordinal);

    /// <summary>Membership rows (<c>USER|CHANNEL</c>) that changed, by user and then channel.</summary>
    public Dictionary<string, Dictionary<string, MemberRow>> Members { get; } = new(StringComparer.Ordinal);

    /// <summary>Dedupe keys (<c>FROM|CHANNEL|CLIENTMSGID</c>) of new messages: an exact index of the pending ones (in
    /// the file the history itself is the index).</summary>
    public Dictionary<string, DedupeRow> Dedupe { get; } = new(StringComparer.Ordinal);

    /// <summary>A rough size: messages, inbox entries and other rows held.</summary>
    public int Items { get; private set; }

    public bool IsEmpty => Channels.Count == 0 && Inboxes.Count == 0 && Members.Count == 0 && Dedupe.Count == 0;

    public PendingChannel Channel(string channelId)
    {
        if (!Channels.TryGetValue(channelId, out PendingChannel? pending))
        {
            Channels[channelId] = pending = new PendingChannel();
        }

        return pending;
    }

    /// <summary>Adds a new message; <paramref name="creates"/> when it creates its (direct) channel.</summary>
    public void AddMessage(ChatChannel snapshot, ChatMessage message, bool creates)
    {
        PendingChannel pending = Channel(snapshot.Id);
        pending.Snapshot = snapshot;
        pending.Redefined |= creates;
        pending.Messages.Add(message);
        Items++;
    }

    public void MarkDeleted(string channelId, long channelSeq)
    {
        (Channel(channelId).Deleted ??= []).Add(channelSeq);
        Items++;
    }

    public void Append(string user, InboxEntry entry, long first)
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

    public void AddDedupe(string key, DedupeRow row)
    {
        Dedupe[key] = row;
        Items++;
    }

    /// <summary>Adds a later batch's changes to these (the writer holds the readers' lock while it does).</summary>
    public void MergeFrom(PendingState later)
    {
        foreach ((string id, PendingChannel change) in later.Channels)
        {
            PendingChannel target = Channel(id);
            target.Snapshot = change.Snapshot ?? target.Snapshot;
            target.Redefined |= change.Redefined;
            target.Messages.AddRange(change.Messages);
            if (change.Deleted is not null)
            {
                (target.Deleted ??= []).UnionWith(change.Deleted);
            }
        }

        foreach ((string user, PendingInbox change) in later.Inboxes)
        {
            if (!Inboxes.TryGetValue(user, out PendingInbox? target))
            {
                Inboxes[user] = target = new PendingInbox();
            }

            target.Entries.AddRange(change.Entries);
            target.First = change.First;
        }

        foreach ((string user, Dictionary<string, MemberRow> rows) in later.Members)
        {
            if (!Members.TryGetValue(user, out Dictionary<string, MemberRow>? target))
            {
                Members[user] = target = new Dictionary<string, MemberRow>(StringComparer.Ordinal);
            }

            foreach ((string channelId, MemberRow row) in rows)
            {
                target[channelId] = row;
            }
        }

        foreach ((string key, DedupeRow row) in later.Dedupe)
        {
            Dedupe[key] = row;
        }

        Items += later.Items;
    }

    public void Clear()
    {
        Channels.Clear();
        Inboxes.Clear();
        Members.Clear();
        Dedupe.Clear();
        Items = 0;
    }
}

/// <summary>A channel's pending changes.</summary>
internal sealed class PendingChannel
{
    /// <summary>The channel after the changes; <see langword="null"/> when only messages were deleted.</summary>
    public ChatChannel? Snapshot { get; set; }

    /// <summary>
    /// The channel is new or its kind, name, owner or members changed, so its document must be written when the
    /// changes are folded into the file (a message alone need not: see <c>LiteDbMessageStore.DocumentDue</c>).
    /// </summary>
    public bool Redefined { get; set; }

    /// <summary>New messages, consecutive <c>channelSeq</c> after the file's last.</summary>
    public List<ChatMessage> Messages { get; } = [];

    /// <summary>Messages deleted (in the file or in <see cref="Messages"/>).</summary>
    public HashSet<long>? Deleted { get; set; }

    /// <summary>The pending message at <paramref name="channelSeq"/>, if it is one.</summary>
    public ChatMessage? Find(long channelSeq)
    {
        if (Messages.Count == 0)
        {
            return null;
        }

        long index = channelSeq - Messages[0].ChannelSeq;
        return index >= 0 && index < Messages.Count ? Messages[(int)index] : null;
    }
}

/// <summary>An inbox's pending entries (consecutive <c>seq</c> after the file's head) and its first kept <c>seq</c>.</summary>
internal sealed class PendingInbox
{
    public List<InboxEntry> Entries { get; } = [];

    public long First { get; set; }

    public long Head => Entries[^1].Seq;

    /// <summary>The pending entry at <paramref name="seq"/>, if it is one.</summary>
    public InboxEntry? Find(long seq)
    {
        long index = seq - Entries[0].Seq;
        return index >= 0 && index < Entries.Count ? Entries[(int)index] : null;
    }
}

/// <summary>A user's row for one channel: still a member, and the read mark (which outlives leaving).</summary>
internal sealed record MemberRow(bool Member, long Read);

/// <summary>Where and when the message of a dedupe key was committed.</summary>
internal readonly record struct DedupeRow(long ChannelSeq, DateTimeOffset At);
