namespace ChatKit.Presence;

/// <summary>A user came online (first session opened) or went offline (last session closed).</summary>
/// <param name="User">The user.</param>
/// <param name="Online">The new status.</param>
/// <param name="LastActiveAt">The user's last activity.</param>
public readonly record struct PresenceChange(string User, bool Online, DateTimeOffset LastActiveAt);
