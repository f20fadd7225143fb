namespace ChatKit.Sync;

/// <summary>What an inbox entry records (PROTOCOL.md section 3).</summary>
public enum InboxEntryKind
{
    /// <summary>A message in a channel the user belongs to, the user's own included.</summary>
    Message = 0,

    /// <summary>The user marked a channel read on one of their devices.</summary>
    Read = 1,

    /// <summary>A user was added to or removed from a group.</summary>
    Member = 2,
}
