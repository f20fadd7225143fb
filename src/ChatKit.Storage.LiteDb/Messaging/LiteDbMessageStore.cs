using System.Buffers;
using System.Diagnostics;
using System.Text;
using ChatKit.Messaging;
using ChatKit.Storage.LiteDb.Hosting;
using ChatKit.Storage.LiteDb.Internal;
using ChatKit.Sync;
using LiteDB;
using Microsoft.Extensions.Options;
using static ChatKit.Storage.LiteDb.Messaging.LiteDbDocuments;

namespace ChatKit.Storage.LiteDb.Messaging;

/// <summary>
/// The <see cref="IMessageStore"/> on one LiteDB file. Same semantics as the in-memory store.
/// </summary>
/// <remarks>
/// <para><b>Why a journal.</b> A LiteDB document write costs tens of microseconds, one batch at a time, and a send
/// changes the history, a dedupe key and one inbox per member: written document by document, a group of 100 costs
/// more than a hundred writes per message. So a write is made durable as one <i>record</i> in the batch's journal
/// record (one append to the journal file per batch, whatever the batch holds; see <see cref="LiteDbChatDatabase"/>
/// for group commit and <see cref="JournalFile"/>), and its effects are kept in memory (<see cref="PendingState"/>)
/// until they are folded into the indexed layout in bulk (<see cref="Materialize"/>): history, inboxes and dedupe
/// keys as blocks of consecutive entries, so that a busy inbox or channel costs one document write per
/// materialization instead of one per entry. The materialization's transaction records the newest journal record it
/// folded in, so after a crash the file holds every committed write exactly once: either in the layout, or as a
/// newer journal record that the next open replays.</para>
/// <para><b>Writer state.</b> Writes run one batch at a time. They decide against small caches of what they would
/// otherwise read for every message (a channel's members and last <c>channelSeq</c>, an inbox's bounds, read marks);
/// the caches include the running batch, are trimmed only between batches, and are dropped when a batch rolls back.
/// A write is split into its checks and its effect (<c>Apply…</c>); the effect is what the journal records, and
/// replaying the records in order on the same file state gives the same sequence numbers.</para>
/// <para><b>Reads</b> run on the caller's thread: they take the pending changes first (under a short lock) and the
/// file after, so that a materialization in between shows them the data twice, never not at all. Only the part that
/// reads the file holds the checkpoint gate, so a read that memory answers never waits for a commit.</para>
/// </remarks>
internal sealed class LiteDbMessageStore : IMessageStore, IWriterParticipant
{
    /// <summary>The most messages a history block holds.</summary>
    internal const int MessageBlockSize = 64;

    /// <summary>The most entries an inbox block holds.</summary>
    internal const int InboxBlockSize = 256;

    /// <summary>
    /// A materialization extends the newest block of a channel or inbox only while it holds fewer entries than this
    /// (see <see cref="AppendBlocks"/>).
    /// </summary>
    internal const int ExtendBlocksBelow = 8;

    private const int WriterCacheLimit = 100_000;

    /// <summary>
    /// How far a channel document's activity time may fall behind its newest message before a materialization
    /// rewrites the document (see <see cref="DocumentDue"/>): the bound that lets <see cref="LoadDedupeFilter"/> find
    /// every channel with a message in the dedupe window through the channels' activity index.
    /// </summary>
    internal static readonly TimeSpan ChannelActivitySlack = TimeSpan.FromHours(1);

    /// <summary>The meta document with the id of the newest journal record folded into the layout.</summary>
    private const string JournalMetaId = "journal";

    private readonly LiteDbChatDatabase _database;
    private readonly ChatKitOptions _options;
    private readonly LiteDbStorageOptions _storage;

    // Committed changes not in the layout as the writer's transactions see it, in layers: _committed (the writer
    // adds each batch to it), _materializing (older; frozen while the maintenance thread writes it into the layout)
    // and _materialized (in the layout, but the writer's running transaction may have begun before that commit and
    // not see it: it lets them go before it begins the next). All are swapped and changed only under the lock, and
    // read only under the lock.
    private readonly object _gate = new();
    private PendingState _committed = new();
    private PendingState? _materializing;
    private readonly List<PendingState> _materialized = [];
    private List<TaskCompletionSource>? _materializeWaiters;

    // Set while the pending layers hold more than PendingLimit entries (writes come in faster than the maintenance
    // thread folds them in); new writes wait for it, so that pending memory stays bounded. Completed by Maintain.
    private TaskCompletionSource? _caughtUp;

    // Writer-thread state (see remarks).
    private readonly PendingState _batch = new();
    private readonly RecordChunks _recordChunks = new();
    private readonly ArrayBufferWriter<byte> _records = new(16 * 1024);
    private readonly Dictionary<string, ChannelState> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InboxBounds> _inboxes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MemberRow> _members = new(StringComparer.Ordinal);
    private readonly DedupeFilter _dedupeFilter = new();
    private long _journalId;
    private bool _journalAppended;
    private bool _legacyJournal;
    private long _pendingSince;
    private long _materializations;
    private DateTimeOffset _latestWrite = DateTimeOffset.MinValue;
    private bool _replaying;
    private volatile bool _materializeNow;

    // Maintenance-thread state: the newest block of each channel's history and each inbox as the last
    // materializations left it (see AppendBlocks). Cleared when a materialization rolls back.
    private readonly Dictionary<string, BlockTail> _historyTails = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BlockTail> _inboxTails = new(StringComparer.Ordinal);

    // Maintenance-thread state: the activity time (Unix ms) of each channel's document as this process last wrote it.
    // Cleared when a materialization rolls back.
    private readonly Dictionary<string, long> _channelDocuments = new(StringComparer.Ordinal);

    private readonly object _recoveryGate = new();
    private Task? _recovery;

    /// <summary>Creates the store over <paramref name="database"/>; opens nothing.</summary>
    public LiteDbMessageStore(LiteDbChatDatabase database, IOptions<ChatKitOptions> options)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        _database = database;
        _options = options.Value;
        _storage = database.Options;
        database.RegisterParticipant(this);
    }

    private LiteDatabase Db => _database.Db;

    private ILiteCollection<BsonDocument> Channels => Db.GetCollection(LiteDbCollections.Channels);

    private ILiteCollection<BsonDocument> Messages => Db.GetCollection(LiteDbCollections.Messages);

    private ILiteCollection<BsonDocument> Inbox => Db.GetCollection(LiteDbCollections.Inbox);

    private ILiteCollection<BsonDocument> Members => Db.GetCollection(LiteDbCollections.Members);

    private ILiteCollection<BsonDocument> LegacyJournal => Db.GetCollection(LiteDbCollections.Journal);

    private ILiteCollection<BsonDocument> Meta => Db.GetCollection(LiteDbCollections.Meta);

    // ----------------------------------------------------------------------------------------------- reads

    /// <inheritdoc />
    public ValueTask<ChatChannel?> GetChannelAsync(string channelId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channelId);
        return Recovered(() => ReadChannel(channelId));
    }

    /// <inheritdoc />
    public ValueTask<HistoryPage> GetHistoryAsync(string channelId, long? beforeSeq, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channelId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return Recovered(() =>
        {
            var page = new List<ChatMessage>(Math.Min(limit, 64));
            bool hasMore = false;
            WalkHistory(channelId, beforeSeq ?? long.MaxValue, (message, deleted) =>
            {
                if (deleted)
                {
                    return true;
                }

                if (page.Count == limit)
                {
                    hasMore = true;
                    return false;
                }

                page.Add(message);
                return true;
            });
            page.Reverse();
            return new HistoryPage(page, hasMore);
        });
    }

    /// <inheritdoc />
    public ValueTask<InboxPage> ReadInboxAsync(string user, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Recovered(() => ReadInbox(user, afterSeq, limit));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ChannelSummary>> GetUserChannelsAsync(string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        // Many reads of the file that must see one state of it: under the checkpoint gate from first to last.
        return Recovered<IReadOnlyList<ChannelSummary>>(() => _database.Read(() =>
        {
            // Pending rows first, the file after (see remarks); pending rows are newer.
            var rows = new Dictionary<string, MemberRow>(StringComparer.Ordinal);
            lock (_gate)
            {
                foreach (PendingState layer in NewestFirst())
                {
                    if (layer.Members.TryGetValue(user, out Dictionary<string, MemberRow>? pending))
                    {
                        foreach ((string channelId, MemberRow row) in pending)
                        {
                            rows.TryAdd(channelId, row);
                        }
                    }
                }
            }

            foreach (BsonDocument doc in Members.Find(LiteDbKeys.IdBetween(LiteDbKeys.PrefixStart(user), LiteDbKeys.PrefixEnd(user))))
            {
                rows.TryAdd(doc["c"].AsString, Member(doc));
            }

            var list = new List<ChannelSummary>();
            foreach ((string channelId, MemberRow row) in rows)
            {
                if (!row.Member || ReadChannel(channelId) is not ChatChannel channel)
                {
                    continue;
                }

                long unread = 0;
                ChatMessage? last = null;
                WalkHistory(channelId, channel.LastSeq + 1, (message, deleted) =>
                {
                    if (deleted)
                    {
                        return true;
                    }

                    last ??= message;
                    if (message.ChannelSeq <= row.Read)
                    {
                        return false;
                    }

                    if (!string.Equals(message.From, user, StringComparison.Ordinal))
                    {
                        unread++;
                    }

                    return true;
                });
                list.Add(new ChannelSummary(channel, row.Read, unread, last));
            }

            list.Sort(static (a, b) => b.Channel.LastActivityAt.CompareTo(a.Channel.LastActivityAt));
            return list;
        }));
    }

    private ChatChannel? ReadChannel(string channelId)
    {
        lock (_gate)
        {
            foreach (PendingState layer in NewestFirst())
            {
                if (layer.Channels.TryGetValue(channelId, out PendingChannel? pending) && pending.Snapshot is not null)
                {
                    return pending.Snapshot;
                }
            }
        }

        return _database.Read(() => Channels.FindById(channelId) is BsonDocument doc ? Channel(doc, NewestBlock(Messages, channelId)) : null);
    }

    /// <summary>
    /// Walks a channel's history from the newest message before <paramref name="beforeSeq"/> backwards, tombstones
    /// included, until <paramref name="visit"/> returns <see langword="false"/>.
    /// </summary>
    private void WalkHistory(string channelId, long beforeSeq, Func<ChatMessage, bool, bool> visit)
    {
        // Pending messages first, then the file's blocks below the first pending one. The pending ones are decoded
        // and visited under the lock instead of being copied out: a page needs a few of them, a layer may hold
        // thousands, and the visitors only look at messages.
        HashSet<long>? deleted = null;
        long fileEnd = beforeSeq; // exclusive
        lock (_gate)
        {
            foreach (PendingState layer in NewestFirst())
            {
                if (layer.Channels.TryGetValue(channelId, out PendingChannel? channel))
                {
                    if (channel.Count > 0)
                    {
                        fileEnd = Math.Min(fileEnd, channel.FirstSeq);
                    }

                    if (channel.Deleted is not null)
                    {
                        (deleted ??= []).UnionWith(channel.Deleted);
                    }
                }
            }

            foreach (PendingState layer in NewestFirst())
            {
                if (!layer.Channels.TryGetValue(channelId, out PendingChannel? channel) || channel.Count == 0)
                {
                    continue;
                }

                for (int i = (int)Math.Min(channel.Count, beforeSeq - channel.FirstSeq) - 1; i >= 0; i--)
                {
                    if (!visit(channel.Message(i), deleted?.Contains(channel.FirstSeq + i) == true))
                    {
                        return;
                    }
                }
            }
        }

        WalkFileHistory(channelId, fileEnd, visit, deleted);
    }

    /// <summary>Walks the history in the file backwards from before <paramref name="endSeq"/> (see <see cref="WalkHistory"/>).</summary>
    private void WalkFileHistory(string channelId, long endSeq, Func<ChatMessage, bool, bool> visit, HashSet<long>? deleted = null)
    {
        if (endSeq <= 1)
        {
            return;
        }

        foreach (BsonDocument block in Range(Messages, LiteDbKeys.RangeStart(channelId), LiteDbKeys.Sequenced(channelId, endSeq - 1), descending: true, int.MaxValue))
        {
            List<(ChatMessage Message, bool Deleted)> messages = DecodeMessages(block, channelId);
            long start = BlockStart(block);
            for (int i = (int)Math.Min(messages.Count - 1, endSeq - 1 - start); i >= 0; i--)
            {
                (ChatMessage message, bool isDeleted) = messages[i];
                if (!visit(message, isDeleted || deleted?.Contains(message.ChannelSeq) == true))
                {
                    return;
                }
            }
        }
    }

    private InboxPage ReadInbox(string user, long afterSeq, int limit)
    {
        long after = Math.Max(afterSeq, 0);
        bool wantEntries = limit > 0 && after < long.MaxValue;

        // Pending entries first (copied under the lock, their messages found after it), then the file's blocks below
        // the first pending one.
        long materializations = Interlocked.Read(ref _materializations);
        List<PendingEntry>? pending = null;
        long pendingFirstSeq = long.MaxValue;
        var bounds = new InboxBounds { Head = 0, First = 1 };
        lock (_gate)
        {
            // Older layer first: its entries come before the newer layer's, and the newer layer's bounds win.
            foreach (PendingState layer in OldestFirst())
            {
                if (layer.Inboxes.TryGetValue(user, out PendingInbox? inbox))
                {
                    pendingFirstSeq = Math.Min(pendingFirstSeq, inbox.Entries[0].Seq);
                    bounds.Head = inbox.Head;
                    bounds.First = inbox.First;
                }
            }

            foreach (PendingState layer in OldestFirst())
            {
                if (layer.Inboxes.TryGetValue(user, out PendingInbox? inbox))
                {
                    if (wantEntries)
                    {
                        long from = Math.Max(after + 1, Math.Max(bounds.First, inbox.Entries[0].Seq));
                        int index = (int)Math.Min(from - inbox.Entries[0].Seq, inbox.Entries.Count);
                        (pending ??= []).AddRange(inbox.Entries.GetRange(index, Math.Min(limit, inbox.Entries.Count - index)));
                    }
                }
            }
        }

        if (pendingFirstSeq != long.MaxValue && (!wantEntries || after + 1 >= pendingFirstSeq))
        {
            // Everything asked for is pending, and pending bounds are newer than the file's: no read of the file (a
            // session filling a gap left by two concurrent commits asks for just that, many times a second).
            if (pending is not null && pending.Count > limit)
            {
                pending.RemoveRange(limit, pending.Count - limit);
            }

            return new InboxPage(pending is null ? [] : pending.ConvertAll(Resolve), new InboxState(bounds.Head, bounds.First));
        }

        // The file's bounds and entries from one state of it (a commit in between could trim what the bounds promise).
        return _database.Read(() =>
        {
            InboxBounds file = ReadFileInboxBounds(user);
            var entries = new List<InboxEntry>();
            long fileFrom = Math.Max(after + 1, Math.Max(bounds.First, file.First));
            if (wantEntries && fileFrom < pendingFirstSeq && fileFrom <= file.Head)
            {
                ReadFileInbox(user, fileFrom, pendingFirstSeq, limit, entries);
            }

            // A materialization since the pending entries were copied may have trimmed the inbox further: bounds read
            // after the entries are never older than they are, so a caller that missed trimmed entries resets.
            if (Interlocked.Read(ref _materializations) != materializations)
            {
                file = ReadFileInboxBounds(user);
            }

            long head = Math.Max(bounds.Head, file.Head);
            long first = Math.Max(bounds.First, file.First);
            if (pending is not null)
            {
                foreach (PendingEntry entry in pending)
                {
                    if (entries.Count == limit)
                    {
                        break;
                    }

                    entries.Add(Resolve(entry));
                }
            }

            entries.RemoveAll(e => e.Seq < first);
            return new InboxPage(entries, new InboxState(head, first));
        });
    }

    /// <summary>A pending inbox entry with its message: pending, or in the file once folded in since the entry was copied.</summary>
    private InboxEntry Resolve(PendingEntry entry) => new(entry.Seq, entry.Other ?? InboxItem.ForMessage(FindMessage(entry.ChannelId, entry.ChannelSeq)
        ?? throw new InvalidDataException($"An inbox entry references message {entry.ChannelId}#{entry.ChannelSeq}, which is not in the file.")));

    /// <summary>Adds the file's inbox entries from <paramref name="fromSeq"/> up to <paramref name="endSeq"/> (exclusive), ascending, until <paramref name="into"/> holds <paramref name="limit"/>.</summary>
    private void ReadFileInbox(string user, long fromSeq, long endSeq, int limit, List<InboxEntry> into)
    {
        var resolver = new MessageResolver(this);
        // The block that holds fromSeq starts at most a block's size before it (see BlockAt).
        string from = LiteDbKeys.Sequenced(user, Math.Max(0, fromSeq - InboxBlockSize + 1));
        foreach (BsonDocument block in Range(Inbox, from, LiteDbKeys.RangeEnd(user), descending: false, int.MaxValue))
        {
            long start = BlockStart(block);
            int count = block[BlockCount].AsInt32;
            if (start + count <= fromSeq)
            {
                continue;
            }

            byte[] data = block[BlockData].AsBinary;
            int offset = 0;
            var previous = default(InboxLink);
            for (int i = 0; i < count; i++)
            {
                long seq = start + i;
                if (seq >= endSeq || into.Count == limit)
                {
                    return;
                }

                if (seq < fromSeq)
                {
                    BlockCodec.SkipInboxEntry(data, ref offset, ref previous);
                    continue;
                }

                into.Add(new InboxEntry(seq, BlockCodec.ReadInboxEntry(data, ref offset, ref previous, resolver.Resolve)));
            }
        }
    }

    /// <summary>A history block's messages with their tombstone flags, the first <paramref name="count"/> at most.</summary>
    private static List<(ChatMessage Message, bool Deleted)> DecodeMessages(BsonDocument block, string channelId, int count = int.MaxValue)
    {
        long start = BlockStart(block);
        byte[] data = block[BlockData].AsBinary;
        count = Math.Min(count, block[BlockCount].AsInt32);
        var messages = new List<(ChatMessage, bool)>(count);
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            ChatMessage message = BlockCodec.ReadMessage(data, ref offset, channelId, start + i, out bool deleted);
            messages.Add((message, deleted));
        }

        return messages;
    }

    /// <summary>An inbox's bounds in the file, from its newest block (which records the first kept <c>seq</c>).</summary>
    private InboxBounds ReadFileInboxBounds(string user)
    {
        var bounds = new InboxBounds { Head = 0, First = 1 };
        if (_database.Read(() => NewestBlock(Inbox, user)) is BsonDocument newest)
        {
            bounds.Head = BlockEnd(newest) - 1;
            bounds.First = newest["f"].AsInt64;
        }

        return bounds;
    }

    /// <summary>An inbox's bounds as committed: pending if it has pending entries, else the file's.</summary>
    private InboxBounds ReadInboxBounds(string user)
    {
        lock (_gate)
        {
            foreach (PendingState layer in NewestFirst())
            {
                if (layer.Inboxes.TryGetValue(user, out PendingInbox? inbox))
                {
                    return new InboxBounds { Head = inbox.Head, First = inbox.First };
                }
            }
        }

        return ReadFileInboxBounds(user);
    }

    /// <summary>A committed message by position (pending or in the file), tombstones included.</summary>
    private ChatMessage? FindMessage(string channelId, long channelSeq)
    {
        lock (_gate)
        {
            foreach (PendingState layer in NewestFirst())
            {
                if (layer.Channels.TryGetValue(channelId, out PendingChannel? pending) && pending.Find(channelSeq) is ChatMessage message)
                {
                    return message;
                }
            }
        }

        BsonDocument? block = FindBlock(Messages, channelId, channelSeq, MessageBlockSize);
        if (block is null)
        {
            return null;
        }

        int index = (int)(channelSeq - BlockStart(block));
        List<(ChatMessage Message, bool Deleted)> messages = DecodeMessages(block, channelId, index + 1);
        return index < messages.Count ? messages[index].Message : null;
    }

    /// <summary>The block of <paramref name="prefix"/> that holds <paramref name="seq"/>, if it is in the file.</summary>
    private BsonDocument? FindBlock(ILiteCollection<BsonDocument> collection, string prefix, long seq, int blockSize) =>
        seq < 1 ? null : _database.Read(() => BlockAt(collection, prefix, seq, blockSize));

    /// <summary>
    /// The block of <paramref name="prefix"/> that holds <paramref name="seq"/>, without the checkpoint gate (inside
    /// a transaction that holds it, or a read that does). A block holds at most <paramref name="blockSize"/>
    /// consecutive entries and is keyed at its first, so the one that holds a position is the newest block that
    /// starts at most <paramref name="blockSize"/> − 1 entries before it: one bounded index seek.
    /// </summary>
    private static BsonDocument? BlockAt(ILiteCollection<BsonDocument> collection, string prefix, long seq, int blockSize)
    {
        BsonDocument? block = LastBlockBetween(collection, LiteDbKeys.Sequenced(prefix, Math.Max(0, seq - blockSize + 1)), LiteDbKeys.Sequenced(prefix, seq));
        return block is not null && BlockEnd(block) > seq ? block : null;
    }

    /// <summary>The newest block of a channel's history or an inbox, without the checkpoint gate (as <see cref="BlockAt"/>).</summary>
    private static BsonDocument? NewestBlock(ILiteCollection<BsonDocument> collection, string prefix) =>
        LastBlockBetween(collection, LiteDbKeys.RangeStart(prefix), LiteDbKeys.RangeEnd(prefix));

    /// <summary>The block with the largest key between two keys (inclusive), without the checkpoint gate.</summary>
    private static BsonDocument? LastBlockBetween(ILiteCollection<BsonDocument> collection, string from, string to) => collection.Query()
        .Where(LiteDbKeys.IdBetween(from, to))
        .OrderByDescending("_id")
        .Limit(1)
        .FirstOrDefault();

    /// <summary>Resolves inbox message references, keeping the last history block it read (pages hit few blocks).</summary>
    private sealed class MessageResolver(LiteDbMessageStore store)
    {
        private string? _channelId;
        private long _start;
        private List<(ChatMessage Message, bool Deleted)>? _messages;

        public ChatMessage? Resolve(string channelId, long channelSeq)
        {
            if (_messages is not null && string.Equals(channelId, _channelId, StringComparison.Ordinal)
                && channelSeq >= _start && channelSeq < _start + _messages.Count)
            {
                return _messages[(int)(channelSeq - _start)].Message;
            }

            BsonDocument? block = store.FindBlock(store.Messages, channelId, channelSeq, MessageBlockSize);
            if (block is not null)
            {
                _channelId = channelId;
                _start = BlockStart(block);
                _messages = DecodeMessages(block, channelId);
                if (channelSeq < _start + _messages.Count)
                {
                    return _messages[(int)(channelSeq - _start)].Message;
                }
            }

            // Materialized after this read began: still pending, or already in a newer block.
            return store.FindMessage(channelId, channelSeq);
        }
    }

    // ----------------------------------------------------------------------------------------------- writes

    /// <inheritdoc />
    public ValueTask<CommitResult> CommitAsync(MessageDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return WriteAsync(() => Commit(draft), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<ChannelChangeResult> CreateGroupAsync(GroupDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return WriteAsync(() => CreateGroup(draft), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<ChannelChangeResult> ChangeMembersAsync(MembershipChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        return WriteAsync(() => ChangeMembers(change), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<ReadMarkResult> MarkReadAsync(string user, string channelId, long upTo, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(channelId);
        return WriteAsync(() => MarkRead(user, channelId, upTo, at), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteMessageAsync(string channelId, long channelSeq, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channelId);
        return WriteAsync(() => DeleteMessage(channelId, channelSeq), cancellationToken);
    }

    /// <summary>Folds every change committed so far into the file's layout, and completes when that has committed (for tests).</summary>
    internal async Task MaterializeAsync()
    {
        // A write of its own: every write before it has committed and is pending when it completes.
        await WriteAsync(() => true, CancellationToken.None).ConfigureAwait(false);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            (_materializeWaiters ??= []).Add(done);
            _materializeNow = true;
        }

        _database.RequestMaintenance();
        await done.Task.ConfigureAwait(false);
    }

    private CommitResult Commit(MessageDraft draft)
    {
        string dedupeKey = LiteDbKeys.Join(draft.From, draft.ChannelId, draft.ClientMsgId);
        if (!_dedupeFilter.Loaded)
        {
            LoadDedupeFilter();
        }

        if (_dedupeFilter.MightContain(dedupeKey) && FindDedupe(draft.From, draft.ChannelId, draft.ClientMsgId) is DedupeRow seen
            && seen.At >= draft.SentAt - _options.DedupeWindow
            && WriterFindMessage(draft.ChannelId, seen.ChannelSeq) is ChatMessage first)
        {
            // Past the window the key is free again, as in the in-memory store: the new message's key replaces it.
            return new CommitResult(CommitStatus.Duplicate, first, []);
        }

        ChannelState? channel = WriterChannel(draft.ChannelId);
        (string, string)? createsDirect = null;
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

            createsDirect = (low, high);
        }
        else if (!draft.SkipMembershipCheck && !channel.HasMember(draft.From))
        {
            return CommitResult.Failed(CommitStatus.NotMember);
        }

        // The channel's own id string, not the request's: pending inbox entries keep it (see PendingEntry), and the
        // channel's is held anyway.
        var message = new ChatMessage(draft.Id, channel?.Id ?? draft.ChannelId, (channel?.LastSeq ?? 0) + 1, draft.From, draft.Device,
            draft.Body, draft.MetaJson, draft.ClientMsgId, draft.SentAt);
        return new CommitResult(CommitStatus.Committed, message, ApplyMessage(message, createsDirect, dedupeKey));
    }

    /// <summary>A message by position as the writer sees it: the running batch included.</summary>
    private ChatMessage? WriterFindMessage(string channelId, long channelSeq) =>
        (_batch.Channels.TryGetValue(channelId, out PendingChannel? batch) ? batch.Find(channelSeq) : null) ?? FindMessage(channelId, channelSeq);

    private ChannelChangeResult CreateGroup(GroupDraft draft)
    {
        if (WriterChannel(draft.ChannelId) is not null)
        {
            throw new InvalidOperationException($"Channel '{draft.ChannelId}' already exists; group ids must be unique.");
        }

        List<AppendedEntry> appended = ApplyGroup(draft.ChannelId, draft.Name, draft.Owner, [.. draft.Members], draft.CreatedAt);
        return new ChannelChangeResult(CommitStatus.Committed, _channels[draft.ChannelId].Snapshot(), appended);
    }

    private ChannelChangeResult ChangeMembers(MembershipChange change)
    {
        ChannelState? channel = WriterChannel(change.ChannelId);
        if (channel is null || channel.Kind != ChannelKind.Group)
        {
            return ChannelChangeResult.Failed(CommitStatus.ChannelNotFound);
        }

        if (!channel.HasMember(change.Actor))
        {
            return ChannelChangeResult.Failed(CommitStatus.NotMember);
        }

        bool isOwner = string.Equals(channel.Owner, change.Actor, StringComparison.Ordinal);
        bool leavingAlone = !change.Add && change.Users.Count == 1 && string.Equals(change.Users[0], change.Actor, StringComparison.Ordinal);
        if (!isOwner && !leavingAlone)
        {
            return ChannelChangeResult.Failed(CommitStatus.Forbidden);
        }

        string[] changed = [.. change.Users.Where(u => channel.HasMember(u) != change.Add).Distinct(StringComparer.Ordinal)];
        if (changed.Length == 0)
        {
            return new ChannelChangeResult(CommitStatus.Unchanged, channel.Snapshot(), []);
        }

        if (change.Add && channel.Members.Length + changed.Length > change.MaxMembers)
        {
            return ChannelChangeResult.Failed(CommitStatus.TooManyMembers);
        }

        List<AppendedEntry> appended = ApplyMembers(change.ChannelId, change.Actor, change.Add, changed, change.At);
        return new ChannelChangeResult(CommitStatus.Committed, channel.Snapshot(), appended);
    }

    private ReadMarkResult MarkRead(string user, string channelId, long upTo, DateTimeOffset at)
    {
        ChannelState? channel = WriterChannel(channelId);
        if (channel is null)
        {
            return new ReadMarkResult(CommitStatus.ChannelNotFound, null, []);
        }

        if (!channel.HasMember(user))
        {
            return new ReadMarkResult(CommitStatus.NotMember, null, []);
        }

        if (upTo > channel.LastSeq)
        {
            return new ReadMarkResult(CommitStatus.OutOfRange, channel.Snapshot(), []);
        }

        if (upTo <= (WriterMember(user, channelId)?.Read ?? 0))
        {
            return new ReadMarkResult(CommitStatus.Unchanged, channel.Snapshot(), []);
        }

        InboxEntry entry = ApplyRead(user, channelId, upTo, at);
        return new ReadMarkResult(CommitStatus.Committed, channel.Snapshot(), [new AppendedEntry(user, entry)]);
    }

    private bool DeleteMessage(string channelId, long channelSeq)
    {
        if (channelSeq < 1 || channelSeq > (WriterChannel(channelId)?.LastSeq ?? 0) || IsDeletedNow(channelId, channelSeq))
        {
            return false;
        }

        ApplyDelete(channelId, channelSeq);
        return true;
    }

    private bool IsDeletedNow(string channelId, long channelSeq)
    {
        if (_batch.Channels.TryGetValue(channelId, out PendingChannel? batch) && batch.Deleted?.Contains(channelSeq) == true)
        {
            return true;
        }

        lock (_gate)
        {
            foreach (PendingState layer in NewestFirst())
            {
                if (layer.Channels.TryGetValue(channelId, out PendingChannel? pending) && pending.Deleted?.Contains(channelSeq) == true)
                {
                    return true;
                }
            }
        }

        BsonDocument? block = FindBlock(Messages, channelId, channelSeq, MessageBlockSize);
        if (block is null)
        {
            return false;
        }

        int index = (int)(channelSeq - BlockStart(block));
        List<(ChatMessage Message, bool Deleted)> messages = DecodeMessages(block, channelId, index + 1);
        return index < messages.Count && messages[index].Deleted;
    }

    // ----------------------------------------------------------------------------------------------- effects

    /// <summary>Applies a committed message: its journal record (unless replaying), pending history, dedupe key and inbox entries.</summary>
    /// <param name="message">The message, with its <c>channelSeq</c>.</param>
    /// <param name="createsDirect">The members of the direct channel it creates, if it creates one.</param>
    /// <param name="dedupeKey">The message's <c>FROM|CHANNEL|CLIENTMSGID</c> key for the dedupe filter, which the caller has built already.</param>
    private AppendedEntry[] ApplyMessage(ChatMessage message, (string Low, string High)? createsDirect, string dedupeKey)
    {
        if (!_replaying)
        {
            JournalCodec.WriteMessage(_records, message, createsDirect);
        }

        ChannelState channel;
        if (createsDirect is (string low, string high))
        {
            channel = new ChannelState(message.ChannelId, ChannelKind.Direct, null, null,
                string.Equals(low, high, StringComparison.Ordinal) ? [low] : [low, high], message.SentAt);
            _channels[channel.Id] = channel;
            foreach (string member in channel.Members)
            {
                SetMembership(member, channel.Id, member: true);
            }
        }
        else
        {
            channel = WriterChannel(message.ChannelId)
                ?? throw new InvalidDataException($"The journal references channel '{message.ChannelId}', which is not in the file.");
        }

        channel.LastSeq = message.ChannelSeq;
        channel.LastActivityAt = message.SentAt;
        _batch.AddMessage(channel.Snapshot(), message, _recordChunks.Add(message), creates: createsDirect is not null);
        if (message.SentAt > _latestWrite)
        {
            _latestWrite = message.SentAt;
        }

        if (_dedupeFilter.Loaded)
        {
            _dedupeFilter.Add(dedupeKey, message.SentAt, _latestWrite - _options.DedupeWindow);
        }

        var item = InboxItem.ForMessage(message);
        var appended = new AppendedEntry[channel.Members.Length];
        for (int i = 0; i < appended.Length; i++)
        {
            string member = channel.Members[i];
            appended[i] = new AppendedEntry(member, Append(member, item, message.SentAt));
        }

        return appended;
    }

    private void Redefine(ChannelState channel)
    {
        PendingChannel pending = _batch.Channel(channel.Id);
        pending.Snapshot = channel.Snapshot();
        pending.Redefined = true;
    }

    private List<AppendedEntry> ApplyGroup(string channelId, string name, string owner, string[] members, DateTimeOffset at)
    {
        if (!_replaying)
        {
            JournalCodec.WriteGroup(_records, channelId, name, owner, members, at);
        }

        var channel = new ChannelState(channelId, ChannelKind.Group, name, owner, members, at);
        _channels[channelId] = channel;
        Redefine(channel);
        var appended = new List<AppendedEntry>(members.Length);
        foreach (string member in members)
        {
            SetMembership(member, channelId, member: true);
            var item = InboxItem.ForMember(channelId, member, added: true, owner, at);
            appended.Add(new AppendedEntry(member, Append(member, item, at)));
        }

        return appended;
    }

    private List<AppendedEntry> ApplyMembers(string channelId, string actor, bool add, string[] changed, DateTimeOffset at)
    {
        if (!_replaying)
        {
            JournalCodec.WriteMembers(_records, channelId, actor, add, changed, at);
        }

        ChannelState channel = WriterChannel(channelId)
            ?? throw new InvalidDataException($"The journal references group '{channelId}', which is not in the file.");
        var members = new List<string>(channel.Members);
        foreach (string user in changed)
        {
            if (add)
            {
                members.Add(user);
            }
            else
            {
                members.Remove(user);
            }

            SetMembership(user, channelId, add);
        }

        channel.Members = [.. members];

        // An owner who leaves hands the group to the longest-standing member, so that it stays manageable.
        if (!add && !channel.HasMember(channel.Owner!) && channel.Members.Length > 0)
        {
            channel.Owner = channel.Members[0];
        }

        Redefine(channel);
        string[] recipients = add ? channel.Members : [.. channel.Members, .. changed];
        var appended = new List<AppendedEntry>(recipients.Length * changed.Length);
        foreach (string user in changed)
        {
            var item = InboxItem.ForMember(channelId, user, add, actor, at);
            foreach (string recipient in recipients)
            {
                appended.Add(new AppendedEntry(recipient, Append(recipient, item, at)));
            }
        }

        return appended;
    }

    private InboxEntry ApplyRead(string user, string channelId, long upTo, DateTimeOffset at)
    {
        if (!_replaying)
        {
            JournalCodec.WriteRead(_records, user, channelId, upTo, at);
        }

        string key = LiteDbKeys.Join(user, channelId);
        var row = new MemberRow(WriterMember(user, channelId)?.Member ?? true, upTo);
        _members[key] = row;
        _batch.SetMember(user, channelId, row);
        return Append(user, InboxItem.ForRead(channelId, upTo, at), at);
    }

    private void ApplyDelete(string channelId, long channelSeq)
    {
        if (!_replaying)
        {
            JournalCodec.WriteDelete(_records, channelId, channelSeq);
        }

        _batch.MarkDeleted(channelId, channelSeq);
    }

    /// <summary>Applies one journal document's records, in order (recovery).</summary>
    private void ApplyRecords(ReadOnlySpan<byte> data)
    {
        int offset = 0;
        while (offset < data.Length)
        {
            byte kind = data[offset++];
            switch (kind)
            {
                case JournalCodec.Message:
                    (ChatMessage message, (string, string)? createsDirect) = JournalCodec.ReadMessage(data, ref offset);
                    ApplyMessage(message, createsDirect, LiteDbKeys.Join(message.From, message.ChannelId, message.ClientMsgId));
                    break;
                case JournalCodec.Group:
                    (string groupId, string name, string owner, string[] members, DateTimeOffset createdAt) = JournalCodec.ReadGroup(data, ref offset);
                    ApplyGroup(groupId, name, owner, members, createdAt);
                    break;
                case JournalCodec.Members:
                    (string channelId, string actor, bool add, string[] users, DateTimeOffset at) = JournalCodec.ReadMembers(data, ref offset);
                    ApplyMembers(channelId, actor, add, users, at);
                    break;
                case JournalCodec.Read:
                    (string user, string readChannel, long upTo, DateTimeOffset readAt) = JournalCodec.ReadRead(data, ref offset);
                    ApplyRead(user, readChannel, upTo, readAt);
                    break;
                case JournalCodec.Delete:
                    (string deleteChannel, long channelSeq) = JournalCodec.ReadDelete(data, ref offset);
                    ApplyDelete(deleteChannel, channelSeq);
                    break;
                default:
                    throw new InvalidDataException($"Unknown journal record kind {kind}; the file is corrupt or from a newer ChatKit.");
            }
        }
    }

    private void SetMembership(string user, string channelId, bool member)
    {
        MemberRow? row = WriterMember(user, channelId);
        if (row is not null && row.Member == member)
        {
            return;
        }

        row = new MemberRow(member, row?.Read ?? 0);
        _members[LiteDbKeys.Join(user, channelId)] = row;
        _batch.SetMember(user, channelId, row);
    }

    private InboxEntry Append(string user, InboxItem item, DateTimeOffset now)
    {
        InboxBounds bounds = WriterInbox(user);
        long seq = bounds.Head + 1;
        var entry = new InboxEntry(seq, item);
        bounds.Head = seq;
        if (bounds.First > seq)
        {
            bounds.First = seq;
            bounds.FirstAt = item.CreatedAt;
        }

        _batch.Append(user, PendingEntry.For(entry), bounds.First);

        // Retention as the in-memory store keeps it: the newest InboxRetentionCount entries, and none older than
        // InboxRetentionAge except the newest. Entries below First are dropped from the file at materialization.
        if (bounds.Head - bounds.First + 1 > _options.InboxRetentionCount)
        {
            bounds.First = bounds.Head - _options.InboxRetentionCount + 1;
            bounds.FirstAt = null;
        }

        if (_options.InboxRetentionAge is TimeSpan age)
        {
            DateTimeOffset horizon = now - age;
            while (bounds.First < bounds.Head)
            {
                bounds.FirstAt ??= FindInboxEntryTime(user, bounds.First) ?? DateTimeOffset.MinValue;
                if (bounds.FirstAt >= horizon)
                {
                    break;
                }

                bounds.First++;
                bounds.FirstAt = null;
            }
        }

        _batch.Inboxes[user].First = bounds.First;
        return entry;
    }

    private DateTimeOffset? FindInboxEntryTime(string user, long seq)
    {
        if (_batch.Inboxes.TryGetValue(user, out PendingInbox? batch) && batch.Find(seq) is PendingEntry inBatch)
        {
            return inBatch.CreatedAt;
        }

        lock (_gate)
        {
            foreach (PendingState layer in NewestFirst())
            {
                if (layer.Inboxes.TryGetValue(user, out PendingInbox? pending) && pending.Find(seq) is PendingEntry entry)
                {
                    return entry.CreatedAt;
                }
            }
        }

        BsonDocument? block = FindBlock(Inbox, user, seq, InboxBlockSize);
        if (block is null)
        {
            return null;
        }

        long index = seq - BlockStart(block);
        if (index >= block[BlockCount].AsInt32)
        {
            return null;
        }

        byte[] data = block[BlockData].AsBinary;
        int offset = 0;
        var previous = default(InboxLink);
        for (int i = 0; i < index; i++)
        {
            BlockCodec.SkipInboxEntry(data, ref offset, ref previous);
        }

        return BlockCodec.SkipInboxEntry(data, ref offset, ref previous);
    }

    // ----------------------------------------------------------------------------------------------- writer caches

    private ChannelState? WriterChannel(string channelId)
    {
        if (_channels.TryGetValue(channelId, out ChannelState? cached))
        {
            return cached;
        }

        if (ReadChannel(channelId) is not ChatChannel committed)
        {
            return null;
        }

        var channel = new ChannelState(committed.Id, committed.Kind, committed.Name, committed.Owner, [.. committed.Members], committed.CreatedAt)
        {
            LastSeq = committed.LastSeq,
            LastActivityAt = committed.LastActivityAt,
        };
        _channels[channelId] = channel;
        return channel;
    }

    private InboxBounds WriterInbox(string user)
    {
        if (!_inboxes.TryGetValue(user, out InboxBounds? bounds))
        {
            _inboxes[user] = bounds = ReadInboxBounds(user);
        }

        return bounds;
    }

    private MemberRow? WriterMember(string user, string channelId)
    {
        string key = LiteDbKeys.Join(user, channelId);
        if (_members.TryGetValue(key, out MemberRow? cached))
        {
            return cached;
        }

        MemberRow? row = null;
        lock (_gate)
        {
            foreach (PendingState layer in NewestFirst())
            {
                if ((row = layer.Member(user, channelId)) is not null)
                {
                    break;
                }
            }
        }

        if (row is null && _database.Read(() => Members.FindById(key)) is BsonDocument doc)
        {
            row = Member(doc);
        }

        if (row is not null)
        {
            _members[key] = row;
        }

        return row;
    }

    // ----------------------------------------------------------------------------------------------- dedupe

    private DedupeRow? FindDedupe(string from, string channelId, string clientMsgId)
    {
        // Pending messages first, newest first, compared as the bytes they are kept in; the file's history below the
        // oldest pending one after.
        byte[] fromBytes = Encoding.UTF8.GetBytes(from);
        byte[] clientMsgIdBytes = Encoding.UTF8.GetBytes(clientMsgId);
        long firstPending = long.MaxValue;
        if (_batch.Channels.TryGetValue(channelId, out PendingChannel? inBatch) && inBatch.Count > 0)
        {
            if (inBatch.FindDedupe(fromBytes, clientMsgIdBytes) is DedupeRow batchRow)
            {
                return batchRow;
            }

            firstPending = inBatch.FirstSeq;
        }

        lock (_gate)
        {
            foreach (PendingState layer in NewestFirst())
            {
                if (layer.Channels.TryGetValue(channelId, out PendingChannel? pending) && pending.Count > 0)
                {
                    if (pending.FindDedupe(fromBytes, clientMsgIdBytes) is DedupeRow row)
                    {
                        return row;
                    }

                    firstPending = Math.Min(firstPending, pending.FirstSeq);
                }
            }
        }

        // The history is the dedupe index: a message keeps its sender and clientMsgId. Only a key the Bloom filter may
        // have seen gets here (a retry, or a false positive: one to three sends in a million), and it looks back
        // through the channel's newest messages until the dedupe window ends.
        DedupeRow? found = null;
        DateTimeOffset horizon = _latestWrite - _options.DedupeWindow;
        ChannelState? channel = WriterChannel(channelId);
        long fileEnd = Math.Min(channel is null ? 0 : channel.LastSeq + 1, firstPending);
        WalkFileHistory(channelId, fileEnd, (message, _) =>
        {
            if (message.SentAt < horizon)
            {
                return false;
            }

            if (string.Equals(message.ClientMsgId, clientMsgId, StringComparison.Ordinal) && string.Equals(message.From, from, StringComparison.Ordinal))
            {
                found = new DedupeRow(message.ChannelSeq, message.SentAt);
                return false;
            }

            return true;
        });
        return found;
    }

    private void LoadDedupeFilter() => _database.Read(() =>
    {
        // One pass over the dedupe keys in the file (at most one window of messages) when the writer first commits;
        // from then on the writer adds every key it commits (see DedupeFilter for why it never reads them again).
        // A channel document's activity time is at most ChannelActivitySlack behind its newest message (see
        // DocumentDue), so the channels are visited newest first through their activity index, until the rest can
        // hold no message of the window; each one's history is read from its newest block back to the window's start.
        var keys = new List<(string Key, DateTimeOffset At)>();
        long latest = _latestWrite == DateTimeOffset.MinValue ? long.MinValue : Ms(_latestWrite);
        long window = (long)_options.DedupeWindow.TotalMilliseconds;
        long slack = (long)ChannelActivitySlack.TotalMilliseconds;
        var active = new List<(string ChannelId, long NewestAt)>();
        foreach (BsonDocument channel in Channels.Query().OrderByDescending("$.a").ToEnumerable())
        {
            if (latest != long.MinValue && channel["a"].AsInt64 + slack < latest - window)
            {
                break;
            }

            string channelId = channel["_id"].AsString;
            if (NewestBlock(Messages, channelId) is BsonDocument newest)
            {
                long newestAt = newest[BlockTime].AsInt64;
                latest = Math.Max(latest, newestAt);
                active.Add((channelId, newestAt));
            }
        }

        if (_latestWrite == DateTimeOffset.MinValue && latest != long.MinValue)
        {
            _latestWrite = DateTimeOffset.FromUnixTimeMilliseconds(latest);
        }

        long horizon = latest == long.MinValue ? long.MinValue : latest - window;
        foreach ((string channelId, long newestAt) in active)
        {
            // A channel whose newest block is older than the window has nothing to read (its newest block was read above).
            if (newestAt < horizon)
            {
                continue;
            }

            foreach (BsonDocument block in Range(Messages, LiteDbKeys.RangeStart(channelId), LiteDbKeys.RangeEnd(channelId), descending: true, int.MaxValue))
            {
                if (block[BlockTime].AsInt64 < horizon)
                {
                    break;
                }

                foreach ((ChatMessage message, _) in DecodeMessages(block, channelId))
                {
                    if (Ms(message.SentAt) >= horizon)
                    {
                        keys.Add((LiteDbKeys.Join(message.From, message.ChannelId, message.ClientMsgId), message.SentAt));
                    }
                }
            }
        }

        lock (_gate)
        {
            foreach (PendingState layer in NewestFirst())
            {
                AddPending(keys, layer);
            }
        }

        AddPending(keys, _batch);
        _dedupeFilter.Reset(keys.Count);
        foreach ((string key, DateTimeOffset at) in keys)
        {
            _dedupeFilter.Add(key, at, DateTimeOffset.MinValue);
        }

        static void AddPending(List<(string, DateTimeOffset)> keys, PendingState layer)
        {
            foreach (PendingChannel channel in layer.Channels.Values)
            {
                for (int i = 0; i < channel.Count; i++)
                {
                    ChatMessage message = channel.Message(i);
                    keys.Add((LiteDbKeys.Join(message.From, message.ChannelId, message.ClientMsgId), message.SentAt));
                }
            }
        }
    });

    // ----------------------------------------------------------------------------------------------- the writer's hooks

    /// <inheritdoc />
    void IWriterParticipant.BeforeBatch()
    {
        lock (_gate)
        {
            // What is materialized by now is visible to the transaction about to begin.
            _materialized.Clear();
        }
    }

    /// <inheritdoc />
    void IWriterParticipant.BeforeCommit(LiteDatabase db)
    {
        if (_records.WrittenCount == 0)
        {
            return;
        }

        _database.Journal.Append(_journalId + 1, _records.WrittenSpan);
        _journalAppended = true;
    }

    /// <inheritdoc />
    void IWriterParticipant.AfterCommit()
    {
        bool due = false;
        if (!_batch.IsEmpty || _records.WrittenCount > 0)
        {
            // One lock for both, so that the maintenance thread always sees the journal documents and the changes
            // they recorded together.
            lock (_gate)
            {
                if (_records.WrittenCount > 0)
                {
                    Interlocked.Increment(ref _journalId);
                }

                if (_committed.IsEmpty)
                {
                    _pendingSince = Stopwatch.GetTimestamp();
                }

                _committed.MergeFrom(_batch);
                due = _committed.Items >= _storage.MaterializeAfterEntries;
                if (_caughtUp is null && _committed.Items + (_materializing?.Items ?? 0) >= PendingLimit)
                {
                    _caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }

        if (due || _materializeNow)
        {
            _database.RequestMaintenance();
        }

        _batch.Clear();
        _records.ResetWrittenCount();
        _journalAppended = false;

        // Trimmed between batches only: a batch's own changes must stay in the caches until it commits.
        if (_channels.Count + _inboxes.Count + _members.Count > WriterCacheLimit)
        {
            ClearWriterCaches();
        }
    }

    /// <inheritdoc />
    void IWriterParticipant.AfterRollback()
    {
        if (_journalAppended)
        {
            // The record went out, then LiteDB's commit of the same batch failed: the batch did not happen.
            _journalAppended = false;
            _database.Journal.RemoveLast();
        }

        _batch.Clear();
        _records.ResetWrittenCount();
        ClearWriterCaches();
    }

    /// <inheritdoc />
    TimeSpan? IWriterParticipant.MaintenanceDueIn(bool closing)
    {
        int items;
        long since;
        lock (_gate)
        {
            if (_committed.IsEmpty)
            {
                CompleteWaiters(_materializeWaiters);
                _materializeWaiters = null;
                _materializeNow = false;
                return null;
            }

            items = _committed.Items;
            since = _pendingSince;
        }

        if (closing || _materializeNow || items >= _storage.MaterializeAfterEntries)
        {
            return TimeSpan.Zero;
        }

        TimeSpan left = _storage.MaterializeInterval - Stopwatch.GetElapsedTime(since);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <inheritdoc />
    /// <remarks>
    /// On the maintenance thread, concurrently with the writer's batches: the pending changes are set aside as a
    /// frozen layer that readers still see, the writer starts a new one, and this transaction writes the frozen layer
    /// into the layout and deletes the journal documents that recorded it (touching the journal last, so that the
    /// writer's journal inserts wait for its lock only briefly).
    /// </remarks>
    void IWriterParticipant.Maintain(LiteDatabase db)
    {
        PendingState work;
        long journalUpTo;
        List<TaskCompletionSource>? waiters;
        lock (_gate)
        {
            if (_committed.IsEmpty)
            {
                return;
            }

            work = _committed;
            _materializing = work;
            _committed = new PendingState();
            journalUpTo = Interlocked.Read(ref _journalId);
            waiters = _materializeWaiters;
            _materializeWaiters = null;
            _materializeNow = false;

            // The batches after this point go to a new segment, so that this one can be deleted once folded in.
            _database.Journal.RequestRotation();
        }

        db.BeginTrans();
        try
        {
            Materialize(work);
            if (_legacyJournal)
            {
                LegacyJournal.DeleteMany(BsonExpression.Create("$._id <= @0", journalUpTo));
            }

            // In the same transaction as the layout it describes: a replay after a crash skips exactly these.
            Meta.Upsert(new BsonDocument { ["_id"] = JournalMetaId, ["upTo"] = journalUpTo });
            _database.Commit(db);
        }
        catch
        {
            db.Rollback();
            _historyTails.Clear();
            _inboxTails.Clear();
            _channelDocuments.Clear();
            lock (_gate)
            {
                // Back as it was: the set-aside changes are older than what the writer added since.
                work.MergeFrom(_committed);
                _committed = work;
                _materializing = null;
                _materializeWaiters = waiters is null ? _materializeWaiters : [.. waiters, .. _materializeWaiters ?? []];
            }

            throw;
        }

        TaskCompletionSource? caughtUp = null;
        lock (_gate)
        {
            _materializing = null;
            _materialized.Add(work);
            if (_committed.Items < PendingLimit)
            {
                (caughtUp, _caughtUp) = (_caughtUp, null);
            }
        }

        caughtUp?.TrySetResult();

        _legacyJournal = false;
        _database.Journal.DropThrough(journalUpTo);
        Interlocked.Increment(ref _materializations);
        CompleteWaiters(waiters);
    }

    private static void CompleteWaiters(List<TaskCompletionSource>? waiters)
    {
        foreach (TaskCompletionSource waiter in waiters ?? [])
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>The pending layers, newest first (call under the lock).</summary>
    private IEnumerable<PendingState> NewestFirst()
    {
        yield return _committed;
        if (_materializing is not null)
        {
            yield return _materializing;
        }

        for (int i = _materialized.Count - 1; i >= 0; i--)
        {
            yield return _materialized[i];
        }
    }

    /// <summary>The pending layers, oldest first (call under the lock).</summary>
    private IEnumerable<PendingState> OldestFirst()
    {
        foreach (PendingState layer in _materialized)
        {
            yield return layer;
        }

        if (_materializing is not null)
        {
            yield return _materializing;
        }

        yield return _committed;
    }

    private void ClearWriterCaches()
    {
        _channels.Clear();
        _inboxes.Clear();
        _members.Clear();
    }

    // ----------------------------------------------------------------------------------------------- materialization

    /// <summary>
    /// Writes every pending change into the layout inside the maintenance thread's transaction. A channel's or an
    /// inbox's new entries go into new blocks, after its newest block, which is extended only while it is small (see
    /// <see cref="AppendBlocks"/>): so a channel or inbox costs one or two document writes however many entries it
    /// got, and never the rewrite of a large block.
    /// </summary>
    private void Materialize(PendingState work)
    {
        var encoded = new ArrayBufferWriter<byte>(64 * 1024);
        foreach ((string channelId, PendingChannel pending) in work.Channels)
        {
            if (pending.Count > 0)
            {
                AppendBlocks(Messages, _historyTails, channelId, pending.FirstSeq, pending.Count, encoded,
                    (writer, from, to) =>
                    {
                        if (pending.Deleted is null)
                        {
                            pending.WriteRecords(writer, from, to);
                            return;
                        }

                        for (int i = from; i < to; i++)
                        {
                            if (pending.Deleted.Contains(pending.FirstSeq + i))
                            {
                                BlockCodec.WriteMessage(writer, pending.Message(i), deleted: true);
                            }
                            else
                            {
                                pending.WriteRecords(writer, i, i + 1);
                            }
                        }
                    },
                    MessageBlockSize, (block, last) => block[BlockTime] = Ms(pending.SentAt(last)));
            }

            if (pending.Deleted is not null)
            {
                long firstPending = pending.Count > 0 ? pending.FirstSeq : long.MaxValue;
                BsonDocument? block = null;
                long blockEnd = 0; // exclusive
                var inBlock = new HashSet<long>();
                foreach (long seq in pending.Deleted.Where(s => s < firstPending).Order())
                {
                    if (seq >= blockEnd)
                    {
                        Tombstone(channelId, block, inBlock, encoded);
                        block = BlockAt(Messages, channelId, seq, MessageBlockSize);
                        blockEnd = block is null ? seq + 1 : BlockEnd(block);
                    }

                    if (block is not null)
                    {
                        inBlock.Add(seq);
                    }
                }

                Tombstone(channelId, block, inBlock, encoded);
            }

            if (pending.Snapshot is ChatChannel snapshot && DocumentDue(channelId, snapshot, pending.Redefined))
            {
                Channels.Upsert(Channel(snapshot));
            }
        }

        foreach ((string user, PendingInbox pending) in work.Inboxes)
        {
            long first = pending.First;
            AppendBlocks(Inbox, _inboxTails, user, pending.Entries[0].Seq, pending.Entries.Count, encoded,
                (writer, from, to) =>
                {
                    var previous = default(InboxLink);
                    for (int i = from; i < to; i++)
                    {
                        PendingEntry entry = pending.Entries[i];
                        if (entry.Other is InboxItem other)
                        {
                            BlockCodec.WriteInboxEntry(writer, other, ref previous);
                        }
                        else
                        {
                            BlockCodec.WriteMessageEntry(writer, entry.ChannelId, entry.ChannelSeq, entry.CreatedAt, ref previous);
                        }
                    }
                },
                InboxBlockSize, (block, _) => block["f"] = first);

            // Blocks that start a whole block's size below the first kept entry end below it: they go, found by key
            // alone. The newest block always stays (it holds the head, which retention keeps). A block that ends
            // below the first kept entry but starts closer to it goes at a later materialization.
            long below = first - InboxBlockSize;
            if (below >= 1)
            {
                Inbox.DeleteMany(LiteDbKeys.IdBetween(LiteDbKeys.RangeStart(user), LiteDbKeys.Sequenced(user, below)));
            }
        }

        foreach ((string user, Dictionary<string, MemberRow> rows) in work.Members)
        {
            foreach ((string channelId, MemberRow row) in rows)
            {
                Members.Upsert(Member(LiteDbKeys.Join(user, channelId), channelId, row));
            }
        }
    }

    /// <summary>
    /// Whether a materialization writes a channel's document: when the channel is new or redefined, when this process
    /// has not written it yet, or when its activity time would fall more than <see cref="ChannelActivitySlack"/>
    /// behind. Not for every materialization that adds messages: that was one document update per busy channel every
    /// two seconds, a fifth of what folding the journal in allocated under 1:1 load. Readers take the last
    /// <c>channelSeq</c> and activity from the newest history block when newer.
    /// </summary>
    private bool DocumentDue(string channelId, ChatChannel snapshot, bool redefined)
    {
        long activity = Ms(snapshot.LastActivityAt);
        if (!redefined && _channelDocuments.TryGetValue(channelId, out long written)
            && activity - written <= (long)ChannelActivitySlack.TotalMilliseconds)
        {
            return false;
        }

        if (_channelDocuments.Count >= WriterCacheLimit && !_channelDocuments.ContainsKey(channelId))
        {
            _channelDocuments.Clear();
        }

        _channelDocuments[channelId] = activity;
        return true;
    }

    /// <summary>
    /// Marks <paramref name="seqs"/> deleted in a history block and empties the set. A tombstone keeps the sender,
    /// clientMsgId and time (the dedupe index); the body and meta go.
    /// </summary>
    private void Tombstone(string channelId, BsonDocument? block, HashSet<long> seqs, ArrayBufferWriter<byte> encoded)
    {
        if (block is null || seqs.Count == 0)
        {
            return;
        }

        encoded.ResetWrittenCount();
        foreach ((ChatMessage message, bool deleted) in DecodeMessages(block, channelId))
        {
            BlockCodec.WriteMessage(encoded, message, deleted || seqs.Contains(message.ChannelSeq));
        }

        block[BlockData] = encoded.WrittenSpan.ToArray();
        Messages.Update(block);
        seqs.Clear();
    }

    /// <summary>
    /// Appends <paramref name="count"/> entries, consecutive from <paramref name="firstSeq"/>, to the blocks of
    /// <paramref name="prefix"/>; <paramref name="encode"/> writes entries <c>[from, to)</c> as one run (see
    /// <see cref="BlockCodec"/>: an inbox entry may refer back only within its run). A block holds at most
    /// <paramref name="blockSize"/> entries and is keyed at its first (<see cref="BlockAt"/>). The newest block is
    /// read and rewritten to take the first entries only while it holds fewer than <see cref="ExtendBlocksBelow"/>:
    /// extending the newest block whatever its size made every materialization of a busy node read and rewrite the
    /// half-full blocks of every channel and inbox it touched (half of what the node allocated under 1:1 load, and
    /// most of the maintenance thread's time), while starting a new block each time made a quiet channel one block
    /// per message. So a busy channel or inbox costs one insert per materialization, and a quiet one a small rewrite.
    /// <paramref name="tails"/> remembers where each newest block ends, so that a large one is not even read.
    /// <paramref name="decorate"/> sets a block's summary fields, given the index of its last new entry.
    /// </summary>
    private static void AppendBlocks(ILiteCollection<BsonDocument> collection, Dictionary<string, BlockTail> tails, string prefix, long firstSeq,
        int count, ArrayBufferWriter<byte> encoded, Action<ArrayBufferWriter<byte>, int, int> encode, int blockSize, Action<BsonDocument, int> decorate)
    {
        int next = 0;
        var last = new BlockTail(firstSeq, 0);
        if (SmallTail(collection, tails, prefix, firstSeq, blockSize) is BsonDocument tail)
        {
            int held = tail[BlockCount].AsInt32;
            int take = Math.Min(blockSize - held, count);
            encoded.ResetWrittenCount();
            encode(encoded, 0, take);
            byte[] old = tail[BlockData].AsBinary;
            byte[] grown = new byte[old.Length + encoded.WrittenCount];
            old.CopyTo(grown, 0);
            encoded.WrittenSpan.CopyTo(grown.AsSpan(old.Length));
            tail[BlockData] = grown;
            tail[BlockCount] = held + take;
            next = take;
            decorate(tail, take - 1);
            collection.Update(tail);
            last = new BlockTail(firstSeq - held, held + take);
        }

        while (next < count)
        {
            int take = Math.Min(blockSize, count - next);
            encoded.ResetWrittenCount();
            encode(encoded, next, next + take);
            var block = new BsonDocument
            {
                ["_id"] = LiteDbKeys.Sequenced(prefix, firstSeq + next),
                [BlockCount] = take,
                [BlockData] = encoded.WrittenSpan.ToArray(),
            };
            decorate(block, next + take - 1);
            collection.Insert(block);
            last = new BlockTail(firstSeq + next, take);
            next += take;
        }

        if (tails.Count >= WriterCacheLimit && !tails.ContainsKey(prefix))
        {
            tails.Clear();
        }

        tails[prefix] = last;
    }

    /// <summary>
    /// The newest block of <paramref name="prefix"/>, which ends just before <paramref name="firstSeq"/>, if it is
    /// small enough to be extended (see <see cref="AppendBlocks"/>); <see langword="null"/> if there is none or it is
    /// not.
    /// </summary>
    private static BsonDocument? SmallTail(ILiteCollection<BsonDocument> collection, Dictionary<string, BlockTail> tails, string prefix,
        long firstSeq, int blockSize)
    {
        int small = Math.Min(ExtendBlocksBelow, blockSize);
        if (firstSeq <= 1)
        {
            return null;
        }

        bool cached = tails.TryGetValue(prefix, out BlockTail known) && known.Start + known.Count == firstSeq;
        if (cached && known.Count >= small)
        {
            return null;
        }

        BsonDocument tail = (cached ? collection.FindById(LiteDbKeys.Sequenced(prefix, known.Start)) : BlockAt(collection, prefix, firstSeq - 1, blockSize))
            ?? throw new InvalidDataException($"The block of {prefix}#{firstSeq - 1} is not in the file; the file is inconsistent.");
        int count = tail[BlockCount].AsInt32;
        if (BlockEnd(tail) != firstSeq)
        {
            throw new InvalidDataException($"The block of {prefix}#{firstSeq - 1} ends at #{BlockEnd(tail) - 1}; the file is inconsistent.");
        }

        return count < small ? tail : null;
    }

    /// <summary>Where the newest block of a channel's history or an inbox starts and how many entries it holds.</summary>
    private readonly record struct BlockTail(long Start, int Count);

    // ----------------------------------------------------------------------------------------------- recovery

    private ValueTask<T> WriteAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        Task recovery = EnsureRecovered();
        if (Volatile.Read(ref _caughtUp) is { } caughtUp)
        {
            recovery = Task.WhenAll(recovery, caughtUp.Task.WaitAsync(cancellationToken));
        }

        return recovery.IsCompletedSuccessfully
            ? new(_database.WriteAsync(work, cancellationToken, writesDocuments: false))
            : new(AfterRecoveryAsync(recovery, () => _database.WriteAsync(work, cancellationToken, writesDocuments: false)));
    }

    /// <summary>The most entries the pending layers hold before new writes wait for the maintenance thread.</summary>
    private int PendingLimit => _storage.MaterializeAfterEntries * 2;

    /// <summary>
    /// Runs a read once the journal has been replayed. The read takes the checkpoint gate only around its own reads
    /// of the file, not for its whole length: most reads are answered from the pending changes in memory (a session
    /// filling a gap, several hundred times a second under load) and must not wait for a commit or checkpoint, which
    /// holds the gate alone for tens to hundreds of milliseconds.
    /// </summary>
    private ValueTask<T> Recovered<T>(Func<T> read)
    {
        Task recovery = EnsureRecovered();
        return recovery.IsCompletedSuccessfully
            ? new(read())
            : new(AfterRecoveryAsync(recovery, () => Task.FromResult(read())));
    }

    private static async Task<T> AfterRecoveryAsync<T>(Task recovery, Func<Task<T>> then)
    {
        await recovery.ConfigureAwait(false);
        return await then().ConfigureAwait(false);
    }

    /// <summary>Replays the journal once, before anything reads or writes; a failed replay is tried again by the next call.</summary>
    private Task EnsureRecovered()
    {
        Task? recovery = _recovery;
        if (recovery is not null && !recovery.IsFaulted && !recovery.IsCanceled)
        {
            return recovery;
        }

        lock (_recoveryGate)
        {
            if (_recovery is null || _recovery.IsFaulted || _recovery.IsCanceled)
            {
                _recovery = _database.WriteAsync(Recover, CancellationToken.None, writesDocuments: false);
            }

            return _recovery;
        }
    }

    /// <summary>
    /// As the first write: applies the journal's records newer than the layout's mark in order to the state in the
    /// layout, as pending changes of this batch, so that they become visible when it commits and are materialized
    /// right after.
    /// </summary>
    private bool Recover() => _database.Read(() =>
    {
        _replaying = true;
        try
        {
            long folded = Meta.FindById(JournalMetaId)?["upTo"].AsInt64 ?? 0;
            long last = folded;
            bool replayed = false;

            // A file of layout version 2 kept its journal in a collection; its records come first.
            foreach (BsonDocument doc in LegacyJournal.Query().OrderBy("_id").ToEnumerable())
            {
                ApplyRecords(doc["b"].AsBinary);
                last = Math.Max(last, doc["_id"].AsInt64);
                replayed = _legacyJournal = true;
            }

            foreach ((long id, byte[] payload) in _database.Journal.ReadAll())
            {
                // Folded into the layout already: the process died before it deleted the segment.
                if (id <= last)
                {
                    continue;
                }

                ApplyRecords(payload);
                last = id;
                replayed = true;
            }

            // Ids keep growing across restarts: the layout remembers which ones it holds.
            Interlocked.Exchange(ref _journalId, last);
            _materializeNow = replayed;
        }
        finally
        {
            _replaying = false;
        }

        LoadDedupeFilter();
        return true;
    });

    // ----------------------------------------------------------------------------------------------- shared

    /// <summary>
    /// An index range scan of <c>_id</c> in the requested order. With a limit the scan stops there and the result is
    /// read at once; without one it is read lazily, so that a caller that stops early reads no further.
    /// </summary>
    private IEnumerable<BsonDocument> Range(ILiteCollection<BsonDocument> collection, string from, string to, bool descending, int limit)
    {
        ILiteQueryable<BsonDocument> query = collection.Query().Where(LiteDbKeys.IdBetween(from, to));
        query = descending ? query.OrderByDescending("_id") : query.OrderBy("_id");
        return limit == int.MaxValue ? Gated(query.ToEnumerable()) : _database.Read(() => query.Limit(limit).ToList());
    }

    /// <summary>A lazy read of the file that holds the checkpoint gate while it is enumerated (on one thread).</summary>
    private IEnumerable<BsonDocument> Gated(IEnumerable<BsonDocument> documents)
    {
        _database.EnterRead();
        try
        {
            foreach (BsonDocument document in documents)
            {
                yield return document;
            }
        }
        finally
        {
            _database.ExitRead();
        }
    }

    /// <summary>An inbox's bounds, as the writer tracks them.</summary>
    private sealed class InboxBounds
    {
        public long Head { get; set; }

        public long First { get; set; } = 1;

        /// <summary>When the entry at <see cref="First"/> was appended; <see langword="null"/> when not read yet.</summary>
        public DateTimeOffset? FirstAt { get; set; }
    }

    /// <summary>A channel as the writer tracks it; <see cref="Members"/> is replaced, never changed, so snapshots can share it.</summary>
    private sealed class ChannelState(string id, ChannelKind kind, string? name, string? owner, string[] members, DateTimeOffset createdAt)
    {
        public string Id { get; } = id;
        public ChannelKind Kind { get; } = kind;
        public string? Name { get; } = name;
        public string? Owner { get; set; } = owner;
        public string[] Members { get; set; } = members;
        public DateTimeOffset CreatedAt { get; } = createdAt;
        public DateTimeOffset LastActivityAt { get; set; } = createdAt;
        public long LastSeq { get; set; }

        public bool HasMember(string user) => Array.IndexOf(Members, user) >= 0;

        public ChatChannel Snapshot() => new(Id, Kind, Name, Owner, Members, LastSeq, CreatedAt, LastActivityAt);
    }
}
