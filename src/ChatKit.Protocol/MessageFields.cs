namespace ChatKit.Protocol;

/// <summary>The fields of a message object, for <see cref="ServerFrameWriter.WriteMessageObject"/>.</summary>
/// <param name="Id">The 64-bit id.</param>
/// <param name="Channel">The channel id.</param>
/// <param name="ChannelSeq">The position in the channel.</param>
/// <param name="From">The sender.</param>
/// <param name="Device">The sender's device.</param>
/// <param name="Body">The text.</param>
/// <param name="MetaJson">The host's JSON object as UTF-8, or empty.</param>
/// <param name="ClientMsgId">The sender's idempotency key.</param>
/// <param name="SentAt">Unix milliseconds.</param>
public readonly record struct MessageFields(
    long Id, string Channel, long ChannelSeq, string From, string Device, string Body,
    ReadOnlyMemory<byte> MetaJson, string ClientMsgId, long SentAt);
