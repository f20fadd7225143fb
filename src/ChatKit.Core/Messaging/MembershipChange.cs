namespace ChatKit.Messaging;

/// <summary>Members to add to or remove from a group.</summary>
/// <param name="ChannelId">The group.</param>
/// <param name="Actor">Who asks. Only the owner may add or remove others; any member may remove itself.</param>
/// <param name="Users">The users, without duplicates.</param>
/// <param name="Add"><see langword="true"/> to add, <see langword="false"/> to remove.</param>
/// <param name="MaxMembers">The member limit to enforce atomically.</param>
/// <param name="At">The server clock.</param>
public sealed record MembershipChange(string ChannelId, string Actor, IReadOnlyList<string> Users, bool Add, int MaxMembers, DateTimeOffset At);
