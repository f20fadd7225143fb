namespace ChatKit.Client;

/// <summary>A page of the user's inbox, pulled with <see cref="ChatClient.SyncAsync"/>.</summary>
/// <param name="Entries">The entries, ascending by <c>seq</c>.</param>
/// <param name="Head">The inbox head.</param>
/// <param name="HasMore">Whether more entries follow the last one.</param>
/// <param name="Reset">Whether the cursor was out of range (no entries; reload state and continue at <see cref="Head"/>).</param>
public sealed record SyncResult(IReadOnlyList<InboxEntry> Entries, long Head, bool HasMore, bool Reset);
