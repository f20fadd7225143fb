using ChatKit.Messaging;
using ChatKit.Storage.LiteDb.Internal;
using ChatKit.Sync;
using LiteDB;
using Microsoft.Extensions.Options;

namespace ChatKit.Storage.LiteDb.Messaging;

/// <summary>
/// The <see cref="IMessageStore"/> on one LiteDB file (see <see cref="LiteDbCollections"/> for the layout and
/// <see cref="LiteDbChatDatabase"/> for transactions and group commit). Same semantics as the in-memory store.
/// </summary>
/// <remarks>
/// Writes run on the writer thread. There they keep small caches of what they would otherwise read for every
/// message (a channel's members and last <c>channelSeq</c>, an inbox's bounds); the caches are the writer's own,
/// describe the transaction in progress, and are dropped when a transaction rolls back. Reads never use them: they
/// read the last committed state from the file.
/// </remarks>
internal sealed class LiteDbMessageStore : IMessageStore
{
    private const int WriterCacheLimit = 100_000;
    private const int DedupePruneBatch = 2_000;
    private static readonly TimeSpan DedupePruneInterval = TimeSpan.FromSeconds(10);

    private readonly LiteDbChatDatabase _database;
    private readonly ChatKitOptions _options;

    // Writer-thread state (see remarks).
    private readonly Dictionary<string, ChannelState> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InboxBounds> _inboxes = new(StringComparer.Ordinal);
    private readonly DedupeFilter _dedupeFilter = new();
    private DateTimeOffset _lastDedupePrune = DateTimeOffset.MinValue;

    /// <summary>Creates the store over <paramref name="database"/>; opens nothing.</summary>
    public LiteDbMessageStore(LiteDbChatDatabase database, IOptions<ChatKitOptions> options)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        _database = database;
        _options = options.Value;
        database.RegisterWriterReset(() =>
        {
            _channels.Clear();
            _inboxes.Clear();
        });
    }

    private ILiteCollection<BsonDocument> Channels => _database.Db.GetCollection(LiteDbCollections.Channels);

    private ILiteCollection<BsonDocument> Messages => _database.Db.GetCollection(LiteDbCollections.Messages);

    private ILiteCollection<BsonDocument> Inbox => _database.Db.GetCollection(LiteDbCollections.Inbox);

    private ILiteCollection<BsonDocument> Dedupe => _database.Db.GetCollection(LiteDbCollections.Dedupe);

    private ILiteCollection<BsonDocument> Members => _database.Db.GetCollection(LiteDbCollections.Members);

    // ----------------------------------------------------------------------------------------------- reads

    /// <inheritdoc />
    public ValueTask<ChatChannel?> GetChannelAsync(string channelId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channelId);
        return new(ReadChannel(channelId)?.Snapshot());
    }

    /// <inheritdoc />
    public ValueTask<HistoryPage> GetHistoryAsync(string channelId, long? beforeSeq, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channelId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        long lastSeq = LastSeq(channelId, out _);
        long end = Math.Min(beforeSeq ?? long.MaxValue, lastSeq + 1); // exclusive
        if (end <= 1)
        {
            return new(new HistoryPage([], false));
        }

        var page = new List<ChatMessage>(Math.Min(limit, 64));
        bool hasMore = false;
        foreach (BsonDocument doc in Range(Messages, LiteDbKeys.Sequenced(channelId, 1), LiteDbKeys.Sequenced(channelId, end - 1), descending: true, int.MaxValue))
        {
            if (IsDeleted(doc))
            {
                continue;
            }

            if (page.Count == limit)
            {
                hasMore = true;
                break;
            }

            page.Add(ToMessage(doc));
        }

        page.Reverse();
        return new(new HistoryPage(page, hasMore));
    }

    /// <inheritdoc />
    public ValueTask<InboxPage> ReadInboxAsync(string user, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);

        // The page first, the bounds after: each read sees its own committed snapshot, and bounds read later are
        // never older than the page, so a page that misses trimmed entries always comes with a FirstSeq that makes
        // the caller reset instead of skipping them.
        var entries = new List<InboxEntry>();
        if (limit > 0 && afterSeq < long.MaxValue)
        {
            foreach (BsonDocument doc in Range(Inbox, LiteDbKeys.Sequenced(user, Math.Max(afterSeq, 0) + 1), LiteDbKeys.RangeEnd(user), descending: false, limit))
            {
                entries.Add(ToEntry(doc));
            }
        }

        InboxBounds bounds = ReadInboxBounds(user);
        return new(new InboxPage(entries, new InboxState(bounds.Head, bounds.First)));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ChannelSummary>> GetUserChannelsAsync(string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var list = new List<ChannelSummary>();
        foreach (BsonDocument membership in Members.Find(Query.Between("_id", LiteDbKeys.PrefixStart(user), LiteDbKeys.PrefixEnd(user))).ToList())
        {
            if (!membership["m"].AsBoolean)
            {
                continue;
            }

            string channelId = membership["c"].AsString;
            ChannelState? channel = ReadChannel(channelId);
            if (channel is null)
            {
                continue;
            }

            long read = membership["r"].AsInt64;
            long unread = 0;
            if (read < channel.LastSeq)
            {
                foreach (BsonDocument doc in Range(Messages, LiteDbKeys.Sequenced(channelId, read + 1), LiteDbKeys.Sequenced(channelId, channel.LastSeq), descending: false, int.MaxValue))
                {
                    if (!IsDeleted(doc) && !string.Equals(doc["f"].AsString, user, StringComparison.Ordinal))
                    {
                        unread++;
                    }
                }
            }

            ChatMessage? last = null;
            if (channel.LastSeq > 0)
            {
                foreach (BsonDocument doc in Range(Messages, LiteDbKeys.Sequenced(channelId, 1), LiteDbKeys.Sequenced(channelId, channel.LastSeq), descending: true, int.MaxValue))
                {
                    if (!IsDeleted(doc))
                    {
                        last = ToMessage(doc);
                        break;
                    }
                }
            }

            list.Add(new ChannelSummary(channel.Snapshot(), read, unread, last));
        }

        list.Sort(static (a, b) => b.Channel.LastActivityAt.CompareTo(a.Channel.LastActivityAt));
        return new(list);
    }

    // ----------------------------------------------------------------------------------------------- writes

    /// <inheritdoc />
    public ValueTask<CommitResult> CommitAsync(MessageDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return new(_database.WriteAsync(() => Commit(draft), cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<ChannelChangeResult> CreateGroupAsync(GroupDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return new(_database.WriteAsync(() => CreateGroup(draft), cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<ChannelChangeResult> ChangeMembersAsync(MembershipChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        return new(_database.WriteAsync(() => ChangeMembers(change), cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<ReadMarkResult> MarkReadAsync(string user, string channelId, long upTo, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(channelId);
        return new(_database.WriteAsync(() => MarkRead(user, channelId, upTo, at), cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteMessageAsync(string channelId, long channelSeq, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channelId);
        return new(_database.WriteAsync(() => DeleteMessage(channelId, channelSeq), cancellationToken));
    }

    private CommitResult Commit(MessageDraft draft)
    {
        MaybePruneDedupe(draft.SentAt);
        string dedupeKey = LiteDbKeys.Join(draft.From, draft.ChannelId, draft.ClientMsgId);
        if (!_dedupeFilter.Loaded || _dedupeFilter.Saturated)
        {
            LoadDedupeFilter();
        }

        BsonDocument? seen = _dedupeFilter.MightContain(dedupeKey) ? Dedupe.FindById(dedupeKey) : null;
        if (seen is not null)
        {
            BsonDocument? first = Messages.FindById(LiteDbKeys.Sequenced(draft.ChannelId, seen["s"].AsInt64));
            if (first is not null && FromMs(seen["t"]) >= draft.SentAt - _options.DedupeWindow)
            {
                return new CommitResult(CommitStatus.Duplicate, ToMessage(first), []);
            }

            // Past the window (not pruned yet): the key is free again, as in the in-memory store.
            Dedupe.Delete(dedupeKey);
        }

        ChannelState? channel = WriterChannel(draft.ChannelId);
        if (channel is null)
        {
            if (draft.DirectMembers is not (string low, string high))
            {
                return CommitResult.Failed(CommitStatus.ChannelNotFound);
            }

            // A refused commit changes nothing: do not leave behind a channel its sender is not in.
            if (!draft.SkipMembershipCheck && !string.Equals(draft.From, low, StringComparison.Ordinal)
                && !string.Equals(draft.From, high, StringComparison.Ordinal))
            {
                return CommitResult.Failed(CommitStatus.NotMember);
            }

            channel = new ChannelState(draft.ChannelId, ChannelKind.Direct, null, null, draft.SentAt);
            channel.Members.Add(low);
            if (!string.Equals(low, high, StringComparison.Ordinal))
            {
                channel.Members.Add(high);
            }

            Channels.Insert(channel.ToDocument());
            foreach (string m in channel.Members)
            {
                SetMembership(m, channel.Id, member: true);
            }

            _channels[channel.Id] = channel;
        }

        if (!draft.SkipMembershipCheck && !channel.Members.Contains(draft.From))
        {
            return CommitResult.Failed(CommitStatus.NotMember);
        }

        var message = new ChatMessage(draft.Id, channel.Id, channel.LastSeq + 1, draft.From, draft.Device,
            draft.Body, draft.MetaJson, draft.ClientMsgId, draft.SentAt);
        Messages.Insert(ToDocument(message));
        Dedupe.Insert(new BsonDocument
        {
            ["_id"] = dedupeKey,
            ["s"] = message.ChannelSeq,
            ["t"] = draft.SentAt.ToUnixTimeMilliseconds(),
        });
        _dedupeFilter.Add(dedupeKey);
        channel.LastSeq = message.ChannelSeq;
        channel.LastActivityAt = draft.SentAt;

        var item = InboxItem.ForMessage(message);
        var appended = new AppendedEntry[channel.Members.Count];
        for (int i = 0; i < appended.Length; i++)
        {
            string member = channel.Members[i];
            appended[i] = new AppendedEntry(member, Append(member, item, draft.SentAt));
        }

        return new CommitResult(CommitStatus.Committed, message, appended);
    }

    private ChannelChangeResult CreateGroup(GroupDraft draft)
    {
        if (WriterChannel(draft.ChannelId) is not null)
        {
            throw new InvalidOperationException($"Channel '{draft.ChannelId}' already exists; group ids must be unique.");
        }

        var channel = new ChannelState(draft.ChannelId, ChannelKind.Group, draft.Name, draft.Owner, draft.CreatedAt);
        channel.Members.AddRange(draft.Members);
        Channels.Insert(channel.ToDocument());
        _channels[channel.Id] = channel;
        var appended = new List<AppendedEntry>(draft.Members.Count);
        foreach (string member in draft.Members)
        {
            SetMembership(member, channel.Id, member: true);
            var item = InboxItem.ForMember(channel.Id, member, added: true, draft.Owner, draft.CreatedAt);
            appended.Add(new AppendedEntry(member, Append(member, item, draft.CreatedAt)));
        }

        return new ChannelChangeResult(CommitStatus.Committed, channel.Snapshot(), appended);
    }

    private ChannelChangeResult ChangeMembers(MembershipChange change)
    {
        ChannelState? channel = WriterChannel(change.ChannelId);
        if (channel is null || channel.Kind != ChannelKind.Group)
        {
            return ChannelChangeResult.Failed(CommitStatus.ChannelNotFound);
        }

        if (!channel.Members.Contains(change.Actor))
        {
            return ChannelChangeResult.Failed(CommitStatus.NotMember);
        }

        bool isOwner = string.Equals(channel.Owner, change.Actor, StringComparison.Ordinal);
        bool leavingAlone = !change.Add && change.Users.Count == 1 && string.Equals(change.Users[0], change.Actor, StringComparison.Ordinal);
        if (!isOwner && !leavingAlone)
        {
            return ChannelChangeResult.Failed(CommitStatus.Forbidden);
        }

        var changed = change.Users.Where(u => channel.Members.Contains(u) != change.Add).ToList();
        if (changed.Count == 0)
        {
            return new ChannelChangeResult(CommitStatus.Unchanged, channel.Snapshot(), []);
        }

        if (change.Add && channel.Members.Count + changed.Count > change.MaxMembers)
        {
            return ChannelChangeResult.Failed(CommitStatus.TooManyMembers);
        }

        foreach (string u in changed)
        {
            if (change.Add)
            {
                channel.Members.Add(u);
            }
            else
            {
                channel.Members.Remove(u);
            }

            SetMembership(u, channel.Id, change.Add);
        }

        // An owner who leaves hands the group to the longest-standing member, so that it stays manageable.
        if (!change.Add && !channel.Members.Contains(channel.Owner!) && channel.Members.Count > 0)
        {
            channel.Owner = channel.Members[0];
        }

        Channels.Update(channel.ToDocument());
        List<string> recipients = change.Add ? channel.Members : [.. channel.Members, .. changed];
        var appended = new List<AppendedEntry>(recipients.Count * changed.Count);
        foreach (string u in changed)
        {
            var item = InboxItem.ForMember(channel.Id, u, change.Add, change.Actor, change.At);
            foreach (string r in recipients)
            {
                appended.Add(new AppendedEntry(r, Append(r, item, change.At)));
            }
        }

        return new ChannelChangeResult(CommitStatus.Committed, channel.Snapshot(), appended);
    }

    private ReadMarkResult MarkRead(string user, string channelId, long upTo, DateTimeOffset at)
    {
        ChannelState? channel = WriterChannel(channelId);
        if (channel is null)
        {
            return new ReadMarkResult(CommitStatus.ChannelNotFound, null, []);
        }

        if (!channel.Members.Contains(user))
        {
            return new ReadMarkResult(CommitStatus.NotMember, null, []);
        }

        if (upTo > channel.LastSeq)
        {
            return new ReadMarkResult(CommitStatus.OutOfRange, channel.Snapshot(), []);
        }

        string key = LiteDbKeys.Join(user, channelId);
        BsonDocument membership = Members.FindById(key) ?? MembershipDocument(user, channelId, member: true, read: 0);
        if (upTo <= membership["r"].AsInt64)
        {
            return new ReadMarkResult(CommitStatus.Unchanged, channel.Snapshot(), []);
        }

        membership["r"] = upTo;
        Members.Upsert(membership);
        InboxEntry entry = Append(user, InboxItem.ForRead(channelId, upTo, at), at);
        return new ReadMarkResult(CommitStatus.Committed, channel.Snapshot(), [new AppendedEntry(user, entry)]);
    }

    private bool DeleteMessage(string channelId, long channelSeq)
    {
        if (channelSeq < 1)
        {
            return false;
        }

        BsonDocument? doc = Messages.FindById(LiteDbKeys.Sequenced(channelId, channelSeq));
        if (doc is null || IsDeleted(doc))
        {
            return false;
        }

        // A tombstone: the body and meta are gone from the file; the sequence stays taken, and inbox entries that
        // still reference the message resolve to it with an empty body until retention trims them.
        doc.Remove("b");
        doc.Remove("m");
        doc["x"] = true;
        Messages.Update(doc);
        return true;
    }

    private void SetMembership(string user, string channelId, bool member)
    {
        string key = LiteDbKeys.Join(user, channelId);
        BsonDocument? doc = Members.FindById(key);
        if (doc is null)
        {
            Members.Insert(MembershipDocument(user, channelId, member, read: 0));
        }
        else if (doc["m"].AsBoolean != member)
        {
            doc["m"] = member;
            Members.Update(doc);
        }
    }

    private static BsonDocument MembershipDocument(string user, string channelId, bool member, long read) => new()
    {
        ["_id"] = LiteDbKeys.Join(user, channelId),
        ["c"] = channelId,
        ["r"] = read,
        ["m"] = member,
    };

    private InboxEntry Append(string user, InboxItem item, DateTimeOffset now)
    {
        InboxBounds bounds = WriterInbox(user);
        long seq = bounds.Head + 1;
        Inbox.Insert(ToDocument(LiteDbKeys.Sequenced(user, seq), item));
        bounds.Head = seq;
        if (bounds.First > seq)
        {
            bounds.First = seq;
            bounds.FirstAt = item.CreatedAt;
        }

        // Retention as the in-memory store keeps it: the newest InboxRetentionCount entries, and none older than
        // InboxRetentionAge except the newest. Deleted entries free their pages for the next appends.
        while (bounds.Head - bounds.First + 1 > _options.InboxRetentionCount)
        {
            Inbox.Delete(LiteDbKeys.Sequenced(user, bounds.First));
            bounds.First++;
            bounds.FirstAt = null;
        }

        if (_options.InboxRetentionAge is TimeSpan age)
        {
            DateTimeOffset horizon = now - age;
            while (bounds.First < bounds.Head)
            {
                if (bounds.FirstAt is null)
                {
                    BsonDocument? oldest = Inbox.FindById(LiteDbKeys.Sequenced(user, bounds.First));
                    bounds.FirstAt = oldest is null ? DateTimeOffset.MinValue : FromMs(oldest["t"]);
                }

                if (bounds.FirstAt >= horizon)
                {
                    break;
                }

                Inbox.Delete(LiteDbKeys.Sequenced(user, bounds.First));
                bounds.First++;
                bounds.FirstAt = null;
            }
        }

        return new InboxEntry(seq, item);
    }

    private void MaybePruneDedupe(DateTimeOffset now)
    {
        if (now - _lastDedupePrune < DedupePruneInterval)
        {
            return;
        }

        _lastDedupePrune = now;
        long horizon = (now - _options.DedupeWindow).ToUnixTimeMilliseconds();
        var expired = Dedupe.Query().Where(Query.LT("t", horizon)).Limit(DedupePruneBatch).ToList();
        foreach (BsonDocument doc in expired)
        {
            Dedupe.Delete(doc["_id"]);
        }

        if (expired.Count == DedupePruneBatch)
        {
            // More to do: come back on the next commit rather than hold this transaction.
            _lastDedupePrune = DateTimeOffset.MinValue;
        }
    }

    private void LoadDedupeFilter()
    {
        // One pass over the dedupe keys (at most one window of messages) when the writer first commits, and again
        // whenever the keys added since outnumber the filter's size.
        var keys = new List<string>();
        foreach (BsonDocument doc in Dedupe.Query().Select(BsonExpression.Create("{ _id }")).ToEnumerable())
        {
            keys.Add(doc["_id"].AsString);
        }

        _dedupeFilter.Reset(keys.Count);
        foreach (string key in keys)
        {
            _dedupeFilter.Add(key);
        }
    }

    private ChannelState? WriterChannel(string channelId)
    {
        if (_channels.TryGetValue(channelId, out ChannelState? cached))
        {
            return cached;
        }

        ChannelState? channel = ReadChannel(channelId);
        if (channel is not null)
        {
            if (_channels.Count >= WriterCacheLimit)
            {
                _channels.Clear();
            }

            _channels[channelId] = channel;
        }

        return channel;
    }

    private InboxBounds WriterInbox(string user)
    {
        if (_inboxes.TryGetValue(user, out InboxBounds? cached))
        {
            return cached;
        }

        InboxBounds bounds = ReadInboxBounds(user);
        if (_inboxes.Count >= WriterCacheLimit)
        {
            _inboxes.Clear();
        }

        _inboxes[user] = bounds;
        return bounds;
    }

    // ----------------------------------------------------------------------------------------------- shared

    private ChannelState? ReadChannel(string channelId)
    {
        BsonDocument? doc = Channels.FindById(channelId);
        if (doc is null)
        {
            return null;
        }

        var channel = ChannelState.FromDocument(doc);
        channel.LastSeq = LastSeq(channelId, out DateTimeOffset? lastAt);
        if (lastAt is { } at)
        {
            channel.LastActivityAt = at;
        }

        return channel;
    }

    /// <summary>The channel's newest <c>channelSeq</c>: messages are never removed (deleted ones stay as tombstones), so it is the last key.</summary>
    private long LastSeq(string channelId, out DateTimeOffset? lastAt)
    {
        foreach (BsonDocument doc in Range(Messages, LiteDbKeys.RangeStart(channelId), LiteDbKeys.RangeEnd(channelId), descending: true, 1))
        {
            lastAt = FromMs(doc["t"]);
            return LiteDbKeys.ParseSequenced(doc["_id"].AsString).Seq;
        }

        lastAt = null;
        return 0;
    }

    /// <summary>An inbox's bounds from its first and last keys: retention always keeps the newest entry, so they are exact.</summary>
    private InboxBounds ReadInboxBounds(string user)
    {
        var bounds = new InboxBounds();
        foreach (BsonDocument doc in Range(Inbox, LiteDbKeys.RangeStart(user), LiteDbKeys.RangeEnd(user), descending: true, 1))
        {
            bounds.Head = LiteDbKeys.ParseSequenced(doc["_id"].AsString).Seq;
        }

        if (bounds.Head == 0)
        {
            bounds.First = 1;
            return bounds;
        }

        foreach (BsonDocument doc in Range(Inbox, LiteDbKeys.RangeStart(user), LiteDbKeys.RangeEnd(user), descending: false, 1))
        {
            bounds.First = LiteDbKeys.ParseSequenced(doc["_id"].AsString).Seq;
            bounds.FirstAt = FromMs(doc["t"]);
        }

        return bounds;
    }

    /// <summary>
    /// An index range scan of <c>_id</c> in the requested order. With a limit the scan stops there and the result is
    /// read at once; without one it is read lazily, so that a caller that stops early reads no further.
    /// </summary>
    private static IEnumerable<BsonDocument> Range(ILiteCollection<BsonDocument> collection, string from, string to, bool descending, int limit)
    {
        ILiteQueryable<BsonDocument> query = collection.Query().Where(Query.Between("_id", from, to));
        query = descending ? query.OrderByDescending("_id") : query.OrderBy("_id");
        return limit == int.MaxValue ? query.ToEnumerable() : query.Limit(limit).ToList();
    }

    private InboxEntry ToEntry(BsonDocument doc)
    {
        long seq = LiteDbKeys.ParseSequenced(doc["_id"].AsString).Seq;
        string channelId = doc["c"].AsString;
        var kind = (InboxEntryKind)doc["k"].AsInt32;
        InboxItem item = kind switch
        {
            InboxEntryKind.Message => InboxItem.ForMessage(ToMessage(Messages.FindById(LiteDbKeys.Sequenced(channelId, doc["s"].AsInt64))
                ?? throw new InvalidDataException($"Inbox entry {doc["_id"].AsString} references message {channelId}#{doc["s"].AsInt64}, which is not in the file."))),
            InboxEntryKind.Read => InboxItem.ForRead(channelId, doc["s"].AsInt64, FromMs(doc["t"])),
            _ => InboxItem.ForMember(channelId, doc["u"].AsString, doc["a"].AsBoolean, doc["b"].AsString, FromMs(doc["t"])),
        };
        return new InboxEntry(seq, item);
    }

    private static BsonDocument ToDocument(string key, InboxItem item)
    {
        var doc = new BsonDocument
        {
            ["_id"] = key,
            ["k"] = (int)item.Kind,
            ["c"] = item.ChannelId,
            ["t"] = item.CreatedAt.ToUnixTimeMilliseconds(),
        };
        switch (item.Kind)
        {
            case InboxEntryKind.Message:
                doc["s"] = item.Message!.ChannelSeq;
                break;
            case InboxEntryKind.Read:
                doc["s"] = item.UpTo;
                break;
            default:
                doc["u"] = item.User;
                doc["a"] = item.Added;
                doc["b"] = item.By;
                break;
        }

        return doc;
    }

    private static BsonDocument ToDocument(ChatMessage message)
    {
        var doc = new BsonDocument
        {
            ["_id"] = LiteDbKeys.Sequenced(message.ChannelId, message.ChannelSeq),
            ["i"] = message.Id,
            ["f"] = message.From,
            ["d"] = message.Device,
            ["b"] = message.Body,
            ["cm"] = message.ClientMsgId,
            ["t"] = message.SentAt.ToUnixTimeMilliseconds(),
        };
        if (message.MetaJson is not null)
        {
            doc["m"] = message.MetaJson;
        }

        return doc;
    }

    private static ChatMessage ToMessage(BsonDocument doc)
    {
        (string channelId, long seq) = LiteDbKeys.ParseSequenced(doc["_id"].AsString);
        return new ChatMessage(doc["i"].AsInt64, channelId, seq, doc["f"].AsString, doc["d"].AsString,
            doc.TryGetValue("b", out BsonValue body) ? body.AsString : "",
            doc.TryGetValue("m", out BsonValue meta) ? meta.AsString : null,
            doc["cm"].AsString, FromMs(doc["t"]));
    }

    private static bool IsDeleted(BsonDocument doc) => doc.TryGetValue("x", out BsonValue deleted) && deleted.AsBoolean;

    private static DateTimeOffset FromMs(BsonValue value) => DateTimeOffset.FromUnixTimeMilliseconds(value.AsInt64);

    /// <summary>An inbox's bounds, as the writer tracks them.</summary>
    private sealed class InboxBounds
    {
        public long Head { get; set; }

        public long First { get; set; } = 1;

        /// <summary>When the entry at <see cref="First"/> was appended; <see langword="null"/> when not read yet.</summary>
        public DateTimeOffset? FirstAt { get; set; }
    }

    /// <summary>A channel as stored, with its derived last <c>channelSeq</c> and activity.</summary>
    private sealed class ChannelState(string id, ChannelKind kind, string? name, string? owner, DateTimeOffset createdAt)
    {
        public string Id { get; } = id;
        public ChannelKind Kind { get; } = kind;
        public string? Name { get; } = name;
        public string? Owner { get; set; } = owner;
        public List<string> Members { get; } = [];
        public DateTimeOffset CreatedAt { get; } = createdAt;
        public DateTimeOffset LastActivityAt { get; set; } = createdAt;
        public long LastSeq { get; set; }

        public ChatChannel Snapshot() => new(Id, Kind, Name, Owner, Members.ToArray(), LastSeq, CreatedAt, LastActivityAt);

        public BsonDocument ToDocument()
        {
            var doc = new BsonDocument
            {
                ["_id"] = Id,
                ["k"] = (int)Kind,
                ["mb"] = new BsonArray(Members.Select(static m => new BsonValue(m))),
                ["t"] = CreatedAt.ToUnixTimeMilliseconds(),
            };
            if (Name is not null)
            {
                doc["n"] = Name;
            }

            if (Owner is not null)
            {
                doc["o"] = Owner;
            }

            return doc;
        }

        public static ChannelState FromDocument(BsonDocument doc)
        {
            var channel = new ChannelState(doc["_id"].AsString, (ChannelKind)doc["k"].AsInt32,
                doc.TryGetValue("n", out BsonValue name) ? name.AsString : null,
                doc.TryGetValue("o", out BsonValue owner) ? owner.AsString : null,
                FromMs(doc["t"]));
            foreach (BsonValue m in doc["mb"].AsArray)
            {
                channel.Members.Add(m.AsString);
            }

            return channel;
        }
    }
}
