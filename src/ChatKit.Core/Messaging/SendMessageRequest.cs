namespace ChatKit.Messaging;

/// <summary>A message to send as a user (the <c>send</c> request).</summary>
/// <param name="From">The sender.</param>
/// <param name="Device">The sender's device.</param>
/// <param name="To">The recipient of a direct message, or <see langword="null"/> when <paramref name="ChannelId"/> is set.</param>
/// <param name="ChannelId">The channel, or <see langword="null"/> when <paramref name="To"/> is set.</param>
/// <param name="Body">The text, 1 to <see cref="ChatKitOptions.MaxBodyChars"/> characters.</param>
/// <param name="ClientMsgId">The idempotency key, 1–64 characters: a retry with the same key returns the first message.</param>
/// <param name="MetaJson">An optional JSON object for the host's own data.</param>
public sealed record SendMessageRequest(string From, string Device, string? To, string? ChannelId, string Body, string ClientMsgId, string? MetaJson = null);
