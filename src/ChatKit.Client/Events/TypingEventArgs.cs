namespace ChatKit.Client;

/// <summary>Another member is typing in a channel (ephemeral, never stored).</summary>
/// <param name="Channel">The channel.</param>
/// <param name="User">The typist.</param>
public sealed record TypingEventArgs(string Channel, string User);
