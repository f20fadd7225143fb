namespace ChatKit.Client;

/// <summary>A <c>read</c> inbox entry: this user (on any device) marked a channel read up to a <c>channelSeq</c>.</summary>
/// <param name="Seq">The entry's inbox sequence.</param>
/// <param name="Channel">The channel.</param>
/// <param name="UpTo">The read mark.</param>
public sealed record ReadReceivedEventArgs(long Seq, string Channel, long UpTo);
