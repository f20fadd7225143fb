using ChatKit.Protocol.Frames;

namespace ChatKit.Client;

/// <summary>A page of channel history.</summary>
/// <param name="Messages">The messages, ascending by <c>channelSeq</c>.</param>
/// <param name="HasMore">Whether older messages exist (pass the first message's <c>channelSeq</c> as <c>before</c>).</param>
public sealed record HistoryResult(IReadOnlyList<WireMessage> Messages, bool HasMore);
