using ChatKit.Fanout;
using ChatKit.Messaging;
using ChatKit.Presence;
using ChatKit.Sync;

namespace ChatKit;

/// <summary>
/// The chat, as the host app and the transports use it. Every method validates its arguments and refuses bad
/// input with a <see cref="ChatException"/> whose <see cref="ChatException.Code"/> is the protocol's error code;
/// a refused call changes nothing. Membership is checked on every path.
/// </summary>
public interface IChatEngine
{
    /// <summary>
    /// Sends a message as a user: to a direct channel (<see cref="SendMessageRequest.To"/>, created on first use) or a
    /// channel the sender belongs to. Returns once the message is durably stored and will reach every member's inbox;
    /// a retry with the same <c>clientMsgId</c> returns the first message and stores nothing new.
    /// </summary>
    /// <param name="request">The message.</param>
    /// <param name="cancellationToken">Cancels before the commit starts.</param>
    Task<ChatMessage> SendAsync(SendMessageRequest request, CancellationToken cancellationToken = default);

    /// <summary>Sends a message as the system user (<see cref="ChatKitOptions.SystemUserId"/>), who need not be a member.</summary>
    /// <param name="channelId">An existing channel.</param>
    /// <param name="body">The text.</param>
    /// <param name="metaJson">An optional JSON object.</param>
    /// <param name="clientMsgId">An idempotency key; <see langword="null"/> for a new random one.</param>
    /// <param name="cancellationToken">Cancels before the commit starts.</param>
    Task<ChatMessage> SendSystemMessageAsync(string channelId, string body, string? metaJson = null, string? clientMsgId = null, CancellationToken cancellationToken = default);

    /// <summary>Creates a group owned by <paramref name="creator"/>, who is added to <paramref name="members"/>.</summary>
    /// <param name="creator">The owner.</param>
    /// <param name="name">1–100 characters.</param>
    /// <param name="members">The other members (duplicates and the creator are ignored).</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    /// <returns>The group as <paramref name="creator"/>'s channel list shows it.</returns>
    Task<ChannelSummary> CreateGroupAsync(string creator, string name, IReadOnlyCollection<string> members, CancellationToken cancellationToken = default);

    /// <summary>Adds users to a group. Only the owner may.</summary>
    /// <param name="actor">Who adds.</param>
    /// <param name="channelId">The group.</param>
    /// <param name="users">The users to add; those already in are skipped.</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    Task<ChannelSummary> AddMembersAsync(string actor, string channelId, IReadOnlyCollection<string> users, CancellationToken cancellationToken = default);

    /// <summary>Removes users from a group. Only the owner may, except that a member may remove itself (leave).</summary>
    /// <param name="actor">Who removes.</param>
    /// <param name="channelId">The group.</param>
    /// <param name="users">The users to remove; those not in are skipped.</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    Task<ChannelSummary> RemoveMembersAsync(string actor, string channelId, IReadOnlyCollection<string> users, CancellationToken cancellationToken = default);

    /// <summary>Reads a channel's history, members only.</summary>
    /// <param name="user">The reader.</param>
    /// <param name="channelId">The channel.</param>
    /// <param name="before">Exclusive upper <c>channelSeq</c>; <see langword="null"/> for the newest.</param>
    /// <param name="limit">1–200; <see langword="null"/> for 50.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<HistoryPage> GetHistoryAsync(string user, string channelId, long? before = null, int? limit = null, CancellationToken cancellationToken = default);

    /// <summary>Pulls inbox entries after a cursor (the <c>sync</c> request).</summary>
    /// <param name="user">The inbox owner.</param>
    /// <param name="after">The cursor.</param>
    /// <param name="limit">1–1000; <see langword="null"/> for 500.</param>
    /// <param name="wait">For long polling: wait up to this long (at most 30 s) for an entry when there is none.</param>
    /// <param name="cancellationToken">Cancels the read or the wait.</param>
    Task<SyncResult> SyncAsync(string user, long after, int? limit = null, TimeSpan? wait = null, CancellationToken cancellationToken = default);

    /// <summary>Lists a user's channels, newest activity first, with read marks and unread counts.</summary>
    /// <param name="user">The user.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<IReadOnlyList<ChannelSummary>> GetChannelsAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks a channel read up to a <c>channelSeq</c>. Never moves backwards (a lower value changes nothing). A move
    /// appends a <c>read</c> entry to the reader's inbox and sends a <c>receipt</c> to the other members.
    /// </summary>
    /// <param name="user">The reader.</param>
    /// <param name="channelId">The channel.</param>
    /// <param name="upTo">The <c>channelSeq</c>.</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    /// <returns>Whether the mark moved.</returns>
    Task<bool> MarkReadAsync(string user, string channelId, long upTo, CancellationToken cancellationToken = default);

    /// <summary>Tells the other members' sessions that <paramref name="user"/> is typing. Never stored.</summary>
    /// <param name="user">The typist.</param>
    /// <param name="channelId">The channel.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    Task TypingAsync(string user, string channelId, CancellationToken cancellationToken = default);

    /// <summary>Reads users' presence.</summary>
    /// <param name="users">At most 1,000 users.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<IReadOnlyList<PresenceInfo>> GetPresenceAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken = default);

    /// <summary>Subscribes a session to users' presence changes and returns their current presence.</summary>
    /// <param name="session">The subscribing session.</param>
    /// <param name="users">The users; a session holds at most 1,000 subscriptions.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<IReadOnlyList<PresenceInfo>> SubscribePresenceAsync(ChatSession session, IReadOnlyCollection<string> users, CancellationToken cancellationToken = default);

    /// <summary>Ends a session's presence subscriptions to users.</summary>
    /// <param name="session">The session.</param>
    /// <param name="users">The users.</param>
    void UnsubscribePresence(ChatSession session, IReadOnlyCollection<string> users);

    /// <summary>Records a data frame from a session: a heartbeat, and activity for <c>lastActiveAt</c>.</summary>
    /// <param name="session">The session.</param>
    void Touch(ChatSession session);

    /// <summary>Binds a push address to a device.</summary>
    /// <param name="user">The user.</param>
    /// <param name="device">The device.</param>
    /// <param name="provider">A provider with a registered sender (<c>webpush</c>, <c>fcm</c>, <c>apns</c>).</param>
    /// <param name="token">The provider's address, 1–4096 characters.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    Task RegisterPushTokenAsync(string user, string device, string provider, string token, CancellationToken cancellationToken = default);

    /// <summary>Unbinds a push address from a device.</summary>
    /// <param name="user">The user.</param>
    /// <param name="device">The device.</param>
    /// <param name="provider">The provider.</param>
    /// <param name="token">The address.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    Task UnregisterPushTokenAsync(string user, string device, string provider, string token, CancellationToken cancellationToken = default);

    /// <summary>Deletes a message from channel history (moderation by the host). Returns whether it existed.</summary>
    /// <param name="channelId">The channel.</param>
    /// <param name="channelSeq">The message's position.</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    Task<bool> DeleteMessageAsync(string channelId, long channelSeq, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends a device's sessions on this node and its presence (logout), including the grace period of a session of
    /// that device that dropped moments ago.
    /// </summary>
    /// <param name="user">The user.</param>
    /// <param name="device">The device.</param>
    /// <returns>How many sessions were closed.</returns>
    int Logout(string user, string device);
}
