namespace ChatKit.Messaging;

/// <summary>The outcome of a store write.</summary>
public enum CommitStatus
{
    /// <summary>Written.</summary>
    Committed = 0,

    /// <summary>
    /// A message with the same (sender, channel, <c>clientMsgId</c>) exists: nothing was written and the result
    /// carries the first message.
    /// </summary>
    Duplicate = 1,

    /// <summary>The channel does not exist.</summary>
    ChannelNotFound = 2,

    /// <summary>The acting user is not a member of the channel.</summary>
    NotMember = 3,

    /// <summary>The change would take the group over its member limit.</summary>
    TooManyMembers = 4,

    /// <summary>The acting user may not make this change (for example: not the owner).</summary>
    Forbidden = 5,

    /// <summary>Nothing changed (for example: a read mark that would move backwards).</summary>
    Unchanged = 6,

    /// <summary>An argument is out of range for the current state (for example: a read mark past the last message).</summary>
    OutOfRange = 7,
}
