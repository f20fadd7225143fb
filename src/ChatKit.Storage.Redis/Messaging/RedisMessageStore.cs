using System.Globalization;
using ChatKit.Fanout;
using ChatKit.Hosting;
using ChatKit.Internal;
using ChatKit.Sync;
using StackExchange.Redis;

namespace ChatKit.Messaging;

/// <summary>
/// <see cref="IMessageStore"/> on Redis and Redis Cluster. A commit is one script on the channel's slot that stores
/// the message, its dedupe key and a fan-out job; the job reaches the members' inboxes (one script per inbox, on
/// the user's slot) through <see cref="RedisFanout"/>. By default (<see cref="RedisChatKitOptions.DeferMessageFanout"/>)
/// the commit answers once the message and job are durable, one round trip, with an empty
/// <see cref="CommitResult.Appended"/>: the worker delivers what it appends itself. Group changes and read marks
/// run their fan-out before answering and return their entries.
/// </summary>
internal sealed class RedisMessageStore : IMessageStore
{
    private readonly RedisContext _ctx;
    private readonly RedisKeys _keys;
    private readonly RedisFanout _fanout;

    public RedisMessageStore(RedisContext context, RedisFanout fanout)
    {
        _ctx = context;
        _keys = context.Keys;
        _fanout = fanout;
    }

    public ValueTask<ChatChannel?> GetChannelAsync(string channelId, CancellationToken cancellationToken = default) =>
        new(_ctx.RunAsync(async db =>
        {
            var r = (RedisResult[])(await db.ScriptEvaluateAsync(Scripts.GetChannel, [_keys.ChannelMeta(channelId), _keys.ChannelMembers(channelId)]).ConfigureAwait(false))!;
            return r.Length == 0 ? null : ToChannel(channelId, (RedisResult[])r[0]!, (RedisResult[])r[1]!);
        }, cancellationToken));

    public ValueTask<CommitResult> CommitAsync(MessageDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);

        // A refused commit changes nothing: never create a direct channel for a sender outside it.
        if (draft is { SkipMembershipCheck: false, DirectMembers: (string low, string high) }
            && !string.Equals(draft.From, low, StringComparison.Ordinal) && !string.Equals(draft.From, high, StringComparison.Ordinal))
        {
            return new(CommitResult.Failed(CommitStatus.NotMember));
        }

        return new(_ctx.RunAsync(async db =>
        {
            string c = draft.ChannelId;
            int slot = HashSlots.SlotOf(RedisKeys.ChannelTagContent(c));
            await _fanout.EnsureSlotRegisteredAsync(db, slot).ConfigureAwait(false);
            (byte[] prefix, byte[] suffix) = EntryCodec.MessageTemplate(draft);
            RedisKey[] keys =
            [
                _keys.ChannelMeta(c), _keys.ChannelMembers(c), _keys.ChannelHistory(c), _keys.ChannelOwn(c),
                _keys.Dedupe(c, draft.From, draft.ClientMsgId), _keys.ChannelJobs(c), _keys.ChannelLock(c), _keys.SlotPending(slot),
            ];
            RedisValue[] args =
            [
                draft.From, draft.SkipMembershipCheck ? "1" : "0",
                draft.DirectMembers?.Low ?? "", draft.DirectMembers?.High ?? "",
                draft.SentAt.ToUnixTimeMilliseconds(), prefix, suffix, (long)_ctx.ChatOptions.DedupeWindow.TotalMilliseconds,
                c, _ctx.Instance, (long)_ctx.Options.FanoutLockTimeout.TotalMilliseconds, _ctx.Options.FanoutBatchSize, draft.Id,
            ];
            var r = (RedisResult[])(await db.ScriptEvaluateAsync(Scripts.Commit, keys, args).ConfigureAwait(false))!;
            switch ((int)r[0])
            {
                case 0:
                    ChatMessage message = EntryCodec.ParseMessage((byte[])r[1]!);
                    long jseq = (long)r[2];
                    RedisValue[]? owned = (int)r[4] == 1 ? Tail(r, 5) : null;
                    if (_ctx.Options.DeferMessageFanout)
                    {
                        // The message and its job are durable: answer now; the worker delivers what it appends.
                        _ = _fanout.RunAsync(c, owned);
                        return new CommitResult(CommitStatus.Committed, message, []);
                    }

                    return new CommitResult(CommitStatus.Committed, message, await _fanout.RunForJobsAsync(c, jseq, jseq, owned).ConfigureAwait(false));
                case 1:
                    ChatMessage first = r[1].IsNull
                        ? DeletedPlaceholder(draft, (string)r[2]!)
                        : EntryCodec.ParseMessage((byte[])r[1]!);
                    return new CommitResult(CommitStatus.Duplicate, first, []);
                case 2:
                    return CommitResult.Failed(CommitStatus.ChannelNotFound);
                default:
                    return CommitResult.Failed(CommitStatus.NotMember);
            }
        }, cancellationToken));
    }

    public ValueTask<ChannelChangeResult> CreateGroupAsync(GroupDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return new(_ctx.RunAsync(async db =>
        {
            string c = draft.ChannelId;
            int slot = HashSlots.SlotOf(RedisKeys.ChannelTagContent(c));
            await _fanout.EnsureSlotRegisteredAsync(db, slot).ConfigureAwait(false);
            var args = new List<RedisValue>
            {
                draft.Name, draft.Owner, draft.CreatedAt.ToUnixTimeMilliseconds(), c, _ctx.Instance,
                (long)_ctx.Options.FanoutLockTimeout.TotalMilliseconds, _ctx.Options.FanoutBatchSize,
            };
            args.AddRange(draft.Members.Select(m => (RedisValue)m));
            RedisResult result;
            try
            {
                result = await db.ScriptEvaluateAsync(Scripts.CreateGroup,
                    [_keys.ChannelMeta(c), _keys.ChannelMembers(c), _keys.ChannelJobs(c), _keys.ChannelLock(c), _keys.SlotPending(slot)], [.. args]).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.Contains("channel exists", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Channel '{c}' already exists; group ids must be unique.", ex);
            }

            IReadOnlyList<AppendedEntry> appended = await RunJobsAsync(c, (RedisResult[])result!).ConfigureAwait(false);
            var channel = new ChatChannel(c, ChannelKind.Group, draft.Name, draft.Owner, draft.Members.ToArray(), 0, draft.CreatedAt, draft.CreatedAt);
            return new ChannelChangeResult(CommitStatus.Committed, channel, appended);
        }, cancellationToken));
    }

    public ValueTask<ChannelChangeResult> ChangeMembersAsync(MembershipChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        return new(_ctx.RunAsync(async db =>
        {
            string c = change.ChannelId;
            int slot = HashSlots.SlotOf(RedisKeys.ChannelTagContent(c));
            await _fanout.EnsureSlotRegisteredAsync(db, slot).ConfigureAwait(false);
            var args = new List<RedisValue>
            {
                change.Actor, change.Add ? "1" : "0", change.MaxMembers, change.At.ToUnixTimeMilliseconds(), c, _ctx.Instance,
                (long)_ctx.Options.FanoutLockTimeout.TotalMilliseconds, _ctx.Options.FanoutBatchSize,
            };
            args.AddRange(change.Users.Select(u => (RedisValue)u));
            var r = (RedisResult[])(await db.ScriptEvaluateAsync(Scripts.ChangeMembers,
                [_keys.ChannelMeta(c), _keys.ChannelMembers(c), _keys.ChannelJobs(c), _keys.ChannelLock(c), _keys.SlotPending(slot)], [.. args]).ConfigureAwait(false))!;
            var status = (CommitStatus)(int)r[0];
            switch (status)
            {
                case CommitStatus.Committed:
                    IReadOnlyList<AppendedEntry> appended = await RunJobsAsync(c, r).ConfigureAwait(false);
                    return new ChannelChangeResult(CommitStatus.Committed, await GetChannelAsync(c, cancellationToken).ConfigureAwait(false), appended);
                case CommitStatus.Unchanged:
                    return new ChannelChangeResult(CommitStatus.Unchanged, await GetChannelAsync(c, cancellationToken).ConfigureAwait(false), []);
                default:
                    return ChannelChangeResult.Failed(status);
            }
        }, cancellationToken));
    }

    public ValueTask<ReadMarkResult> MarkReadAsync(string user, string channelId, long upTo, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        new(_ctx.RunAsync(async db =>
        {
            string c = channelId;
            int slot = HashSlots.SlotOf(RedisKeys.ChannelTagContent(c));
            await _fanout.EnsureSlotRegisteredAsync(db, slot).ConfigureAwait(false);
            var r = (RedisResult[])(await db.ScriptEvaluateAsync(Scripts.MarkRead,
                [_keys.ChannelMeta(c), _keys.ChannelMembers(c), _keys.ChannelReadMarks(c), _keys.ChannelJobs(c), _keys.ChannelLock(c), _keys.SlotPending(slot)],
                [user, upTo, at.ToUnixTimeMilliseconds(), c, _ctx.Instance, (long)_ctx.Options.FanoutLockTimeout.TotalMilliseconds, _ctx.Options.FanoutBatchSize]).ConfigureAwait(false))!;
            var status = (CommitStatus)(int)r[0];
            if (status is CommitStatus.ChannelNotFound or CommitStatus.NotMember)
            {
                return new ReadMarkResult(status, null, []);
            }

            IReadOnlyList<AppendedEntry> appended = status == CommitStatus.Committed ? await RunJobsAsync(c, r).ConfigureAwait(false) : [];
            return new ReadMarkResult(status, await GetChannelAsync(c, cancellationToken).ConfigureAwait(false), appended);
        }, cancellationToken));

    public ValueTask<HistoryPage> GetHistoryAsync(string channelId, long? beforeSeq, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return new(_ctx.RunAsync(async db =>
        {
            RedisValue[] page = await db.SortedSetRangeByScoreAsync(_keys.ChannelHistory(channelId),
                double.NegativeInfinity, beforeSeq is long b ? b : double.PositiveInfinity, Exclude.Stop, Order.Descending, 0, limit + 1).ConfigureAwait(false);
            int n = Math.Min(limit, page.Length);
            var messages = new ChatMessage[n];
            for (int i = 0; i < n; i++)
            {
                messages[n - 1 - i] = EntryCodec.ParseMessage((byte[])page[i]!);
            }

            return new HistoryPage(messages, page.Length > limit);
        }, cancellationToken));
    }

    public ValueTask<InboxPage> ReadInboxAsync(string user, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return new(_ctx.RunAsync(async db =>
        {
            var r = (RedisResult[])(await db.ScriptEvaluateAsync(Scripts.ReadInbox, [_keys.User(user), _keys.Inbox(user)], [afterSeq, limit]).ConfigureAwait(false))!;
            long head = (long)r[0];
            long first = (long)r[1];
            long from = (long)r[2];
            var entries = new InboxEntry[r.Length - 3];
            for (int i = 0; i < entries.Length; i++)
            {
                entries[i] = new InboxEntry(from + i, EntryCodec.ParseEntry((byte[])r[i + 3]!));
            }

            return new InboxPage(entries, new InboxState(head, first));
        }, cancellationToken));
    }

    public ValueTask<IReadOnlyList<ChannelSummary>> GetUserChannelsAsync(string user, CancellationToken cancellationToken = default) =>
        new(_ctx.RunAsync<IReadOnlyList<ChannelSummary>>(async db =>
        {
            RedisValue[] ids = await db.SetMembersAsync(_keys.UserChannels(user)).ConfigureAwait(false);
            var calls = new Task<RedisResult>[ids.Length];
            for (int i = 0; i < ids.Length; i++)
            {
                string c = ids[i]!;
                calls[i] = db.ScriptEvaluateAsync(Scripts.Summary,
                    [_keys.ChannelMeta(c), _keys.ChannelMembers(c), _keys.ChannelHistory(c), _keys.ChannelOwn(c), _keys.ChannelReadMarks(c)], [user]);
            }

            await Task.WhenAll(calls).ConfigureAwait(false);
            var list = new List<ChannelSummary>(ids.Length);
            for (int i = 0; i < ids.Length; i++)
            {
                var r = (RedisResult[])calls[i].Result!;
                if (r.Length == 0)
                {
                    continue;
                }

                ChatChannel channel = ToChannel(ids[i]!, (RedisResult[])r[0]!, (RedisResult[])r[1]!);
                ChatMessage? last = r[4].IsNull ? null : EntryCodec.ParseMessage((byte[])r[4]!);
                list.Add(new ChannelSummary(channel, (long)r[2], (long)r[3], last));
            }

            list.Sort(static (a, b) => b.Channel.LastActivityAt.CompareTo(a.Channel.LastActivityAt));
            return list;
        }, cancellationToken));

    public ValueTask<bool> DeleteMessageAsync(string channelId, long channelSeq, CancellationToken cancellationToken = default) =>
        new(_ctx.RunAsync(async db =>
            (int)(await db.ScriptEvaluateAsync(Scripts.DeleteMessage, [_keys.ChannelHistory(channelId), _keys.ChannelOwn(channelId)], [channelSeq]).ConfigureAwait(false)) == 1,
            cancellationToken));

    // Group changes and read marks are rare and small: run their fan-out before answering, and return the entries
    // so that the caller delivers them like the in-memory store's.
    private Task<IReadOnlyList<AppendedEntry>> RunJobsAsync(string channel, RedisResult[] r) =>
        _fanout.RunForJobsAsync(channel, (long)r[2], (long)r[3], (int)r[4] == 1 ? Tail(r, 5) : null);

    private static ChatChannel ToChannel(string id, RedisResult[] meta, RedisResult[] members)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < meta.Length; i += 2)
        {
            fields[(string)meta[i]!] = (string)meta[i + 1]!;
        }

        var memberIds = new string[members.Length];
        for (int i = 0; i < members.Length; i++)
        {
            memberIds[i] = (string)members[i]!;
        }

        bool group = fields.GetValueOrDefault("k") == "g";
        return new ChatChannel(
            id,
            group ? ChannelKind.Group : ChannelKind.Direct,
            group ? fields.GetValueOrDefault("n") : null,
            group ? fields.GetValueOrDefault("o") : null,
            memberIds,
            long.Parse(fields.GetValueOrDefault("s") ?? "0", CultureInfo.InvariantCulture),
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields.GetValueOrDefault("ca") ?? "0", CultureInfo.InvariantCulture)),
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields.GetValueOrDefault("la") ?? "0", CultureInfo.InvariantCulture)));
    }

    // The first message of a retried send was deleted by the host since: answer with its identity, without content.
    private static ChatMessage DeletedPlaceholder(MessageDraft draft, string dedupe)
    {
        string[] f = dedupe.Split('|');
        return new(long.Parse(f[1], CultureInfo.InvariantCulture), draft.ChannelId, long.Parse(f[0], CultureInfo.InvariantCulture),
            draft.From, draft.Device, "", null, draft.ClientMsgId, draft.SentAt);
    }

    private static RedisValue[] Tail(RedisResult[] result, int from)
    {
        var values = new RedisValue[result.Length - from];
        for (int i = from; i < result.Length; i++)
        {
            values[i - from] = (RedisValue)result[i];
        }

        return values;
    }
}
