namespace ChatKit.Sync;

/// <summary>A page of one user's inbox.</summary>
/// <param name="Entries">Entries with <c>seq</c> after the cursor, ascending.</param>
/// <param name="State">The inbox bounds when the page was read.</param>
public sealed record InboxPage(IReadOnlyList<InboxEntry> Entries, InboxState State)
{
    /// <summary>Whether entries after the last one returned exist.</summary>
    public bool HasMore => Entries.Count > 0 ? Entries[^1].Seq < State.Head : false;
}
