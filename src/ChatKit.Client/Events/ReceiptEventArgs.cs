namespace ChatKit.Client;

/// <summary>Another member read a channel up to a <c>channelSeq</c>.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="User">The reader.</param>
/// <param name="UpTo">The reader's new read mark.</param>
public sealed record ReceiptEventArgs(string Channel, string User, long UpTo);
