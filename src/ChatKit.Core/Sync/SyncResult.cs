namespace ChatKit.Sync;

/// <summary>The answer to a <c>sync</c> pull.</summary>
/// <param name="Entries">Entries after the cursor, ascending.</param>
/// <param name="Head">The newest <c>seq</c>.</param>
/// <param name="HasMore">Whether entries after the last one returned exist.</param>
/// <param name="Reset">The cursor is out of range (too old or ahead): reload and continue after <paramref name="Head"/>.</param>
public sealed record SyncResult(IReadOnlyList<InboxEntry> Entries, long Head, bool HasMore, bool Reset);
