namespace ChatKit.Push;

/// <summary>
/// One notification for one device. Carries ids, not content, unless the host allows previews
/// (<see cref="ChatKitOptions.PushIncludesPreview"/>).
/// </summary>
/// <param name="User">The recipient.</param>
/// <param name="ChannelId">The channel; also the collapse key, so a device shows one notification per channel.</param>
/// <param name="MessageId">The message's id.</param>
/// <param name="ChannelSeq">The message's position.</param>
/// <param name="From">The sender.</param>
/// <param name="Badge">The recipient's unread messages over all channels.</param>
/// <param name="Preview">The body, when previews are allowed; otherwise <see langword="null"/>.</param>
public sealed record PushNotification(string User, string ChannelId, long MessageId, long ChannelSeq, string From, long Badge, string? Preview);
