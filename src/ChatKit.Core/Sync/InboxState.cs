namespace ChatKit.Sync;

/// <summary>The bounds of a user's inbox.</summary>
/// <param name="Head">The newest <c>seq</c> (0 when nothing was ever appended).</param>
/// <param name="FirstSeq">The oldest <c>seq</c> still kept (<paramref name="Head"/> + 1 when the inbox is empty).</param>
public readonly record struct InboxState(long Head, long FirstSeq)
{
    /// <summary>
    /// Whether a device with cursor <paramref name="after"/> must be told to <c>reset</c>: the entries right after
    /// it are no longer kept, or the cursor is ahead of the head (PROTOCOL.md section 1).
    /// </summary>
    /// <param name="after">The device's cursor.</param>
    public bool NeedsReset(long after) => after > Head || after < FirstSeq - 1;
}
