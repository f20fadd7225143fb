namespace ChatKit.Messaging;

/// <summary>What kind of conversation a channel is.</summary>
public enum ChannelKind
{
    /// <summary>Two users (or one user with themself); the id is derived from the two user ids.</summary>
    Direct = 0,

    /// <summary>A named group with an owner and at most <see cref="ChatKitOptions.MaxGroupMembers"/> members.</summary>
    Group = 1,
}
