namespace ChatKit.Client;

/// <summary>The client is about to wait <see cref="Delay"/> and try to reconnect.</summary>
/// <param name="Attempt">1 for the first attempt after a connection was lost.</param>
/// <param name="Delay">The wait before the attempt.</param>
/// <param name="LastError">Why the previous attempt failed, if one did.</param>
public sealed record ReconnectingEventArgs(int Attempt, TimeSpan Delay, Exception? LastError);
