using ChatKit.Protocol.Frames;

namespace ChatKit.Client;

/// <summary>A <c>message</c> inbox entry: a message in one of the user's channels, the user's own included.</summary>
/// <param name="Seq">The entry's inbox sequence.</param>
/// <param name="Message">The message.</param>
public sealed record MessageReceivedEventArgs(long Seq, WireMessage Message);
