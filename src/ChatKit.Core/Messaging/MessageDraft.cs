namespace ChatKit.Messaging;

/// <summary>A validated message the engine asks a store to commit.</summary>
/// <param name="Id">The id, taken from the id generator before the commit.</param>
/// <param name="ChannelId">The channel.</param>
/// <param name="DirectMembers">
/// For a direct channel: its two users, so that the store creates the channel on first use; otherwise
/// <see langword="null"/>.
/// </param>
/// <param name="From">The sender.</param>
/// <param name="Device">The sender's device.</param>
/// <param name="Body">The text.</param>
/// <param name="MetaJson">The host's JSON object, or <see langword="null"/>.</param>
/// <param name="ClientMsgId">The idempotency key.</param>
/// <param name="SentAt">The server clock.</param>
/// <param name="SkipMembershipCheck">
/// <see langword="true"/> for messages the host sends as the system user, who is not a member.
/// </param>
public sealed record MessageDraft(
    long Id,
    string ChannelId,
    (string Low, string High)? DirectMembers,
    string From,
    string Device,
    string Body,
    string? MetaJson,
    string ClientMsgId,
    DateTimeOffset SentAt,
    bool SkipMembershipCheck = false);
