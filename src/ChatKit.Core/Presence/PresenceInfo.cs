namespace ChatKit.Presence;

/// <summary>A user's presence.</summary>
/// <param name="User">The user.</param>
/// <param name="Online">Whether at least one session of the user is live.</param>
/// <param name="LastActiveAt">The last time a session of the user sent a frame; <see langword="null"/> if never seen.</param>
public readonly record struct PresenceInfo(string User, bool Online, DateTimeOffset? LastActiveAt);
