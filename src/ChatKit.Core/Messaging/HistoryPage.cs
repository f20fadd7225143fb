namespace ChatKit.Messaging;

/// <summary>A page of channel history.</summary>
/// <param name="Messages">Messages in ascending <c>channelSeq</c>.</param>
/// <param name="HasMore">Whether older messages exist before the first one returned.</param>
public sealed record HistoryPage(IReadOnlyList<ChatMessage> Messages, bool HasMore);
