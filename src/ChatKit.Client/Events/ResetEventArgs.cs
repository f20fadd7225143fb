namespace ChatKit.Client;

/// <summary>
/// The device cursor was older than the inbox retention (or ahead of the head): entries were skipped. Reload the
/// app's state with <see cref="ChatClient.ChannelsAsync"/> and <see cref="ChatClient.HistoryAsync"/>; the cursor
/// moves to <see cref="Head"/> once the handlers ran.
/// </summary>
/// <param name="Head">The inbox head; live entries continue after it.</param>
public sealed record ResetEventArgs(long Head);
