using ChatKit.Sync;

namespace ChatKit.Messaging;

/// <summary>
/// Durable chat state: channels and members, messages by <c>channelSeq</c>, dedupe keys, every user's inbox by
/// <c>seq</c>, and read marks. One abstraction, because a commit must change several of them atomically.
/// </summary>
/// <remarks>
/// <para>Implementations: <c>InMemoryMessageStore</c> (default), <c>LiteDbMessageStore</c>, <c>RedisMessageStore</c>.
/// The specification tests in <c>ChatKit.Specification.Tests</c> state the contract; every implementation runs them.</para>
/// <para>Rules every implementation keeps: <c>channelSeq</c> and inbox <c>seq</c> are gap-free and never reused;
/// a commit is all or nothing; an inbox gets each message once; read marks never move backwards; membership is
/// checked atomically with the write it guards.</para>
/// </remarks>
public interface IMessageStore
{
    /// <summary>Reads a channel, or <see langword="null"/>.</summary>
    /// <param name="channelId">The channel id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<ChatChannel?> GetChannelAsync(string channelId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Commits a message: dedupe by (sender, channel, <c>clientMsgId</c>), the next <c>channelSeq</c>, and one inbox
    /// entry for every member (the sender too), atomically. Creates a direct channel on first use.
    /// </summary>
    /// <param name="draft">The validated message.</param>
    /// <param name="cancellationToken">Cancels before the write starts; a started commit completes.</param>
    ValueTask<CommitResult> CommitAsync(MessageDraft draft, CancellationToken cancellationToken = default);

    /// <summary>Creates a group and appends a <c>member</c> entry about each initial member to that member's inbox.</summary>
    /// <param name="draft">The validated group.</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    ValueTask<ChannelChangeResult> CreateGroupAsync(GroupDraft draft, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds or removes group members. Checks atomically that the actor may (owner, or a member removing itself) and
    /// that the group stays within <see cref="MembershipChange.MaxMembers"/>. Appends one <c>member</c> entry per
    /// changed user to every member after the change and to each removed user. Users already in (for add) or not
    /// in (for remove) the group are skipped; if none changes the result is <see cref="CommitStatus.Unchanged"/>.
    /// </summary>
    /// <param name="change">The change.</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    ValueTask<ChannelChangeResult> ChangeMembersAsync(MembershipChange change, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves <paramref name="user"/>'s read mark in a channel forward to <paramref name="upTo"/> and appends a
    /// <c>read</c> entry to the user's inbox. A mark that would not move forward changes nothing
    /// (<see cref="CommitStatus.Unchanged"/>); one past the channel's last message is <see cref="CommitStatus.OutOfRange"/>.
    /// </summary>
    /// <param name="user">The reader.</param>
    /// <param name="channelId">The channel.</param>
    /// <param name="upTo">The <c>channelSeq</c> read up to.</param>
    /// <param name="at">The server clock.</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    ValueTask<ReadMarkResult> MarkReadAsync(string user, string channelId, long upTo, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Reads channel history before <paramref name="beforeSeq"/> (exclusive; <see langword="null"/>: newest), newest <paramref name="limit"/> messages, returned ascending.</summary>
    /// <param name="channelId">The channel.</param>
    /// <param name="beforeSeq">Exclusive upper bound.</param>
    /// <param name="limit">Page size, at least 1.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<HistoryPage> GetHistoryAsync(string channelId, long? beforeSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>Reads up to <paramref name="limit"/> entries of <paramref name="user"/>'s inbox with <c>seq</c> greater than <paramref name="afterSeq"/>, ascending, with the inbox bounds.</summary>
    /// <param name="user">The inbox owner.</param>
    /// <param name="afterSeq">The cursor (exclusive).</param>
    /// <param name="limit">Page size; 0 reads only the bounds.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<InboxPage> ReadInboxAsync(string user, long afterSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>Lists the channels <paramref name="user"/> belongs to, newest activity first, with read marks and unread counts.</summary>
    /// <param name="user">The user.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<ChannelSummary>> GetUserChannelsAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes one message from channel history (the host's moderation). The <c>channelSeq</c> is not reused; inbox
    /// entries that referenced it are left to retention. Returns whether a message was deleted.
    /// </summary>
    /// <param name="channelId">The channel.</param>
    /// <param name="channelSeq">The message's position.</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    ValueTask<bool> DeleteMessageAsync(string channelId, long channelSeq, CancellationToken cancellationToken = default);
}
