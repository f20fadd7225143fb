namespace ChatKit.Messaging;

/// <summary>One row of a user's channel list (the <c>channels</c> request).</summary>
/// <param name="Channel">The channel.</param>
/// <param name="ReadSeq">The user's read mark.</param>
/// <param name="Unread">Messages after <paramref name="ReadSeq"/> not sent by the user.</param>
/// <param name="LastMessage">The newest message, or <see langword="null"/>.</param>
public sealed record ChannelSummary(ChatChannel Channel, long ReadSeq, long Unread, ChatMessage? LastMessage);
