namespace ChatKit.Client;

/// <summary>A subscribed user's presence changed.</summary>
/// <param name="User">The user.</param>
/// <param name="Status"><c>online</c> or <c>offline</c>.</param>
/// <param name="LastActiveAt">The last time any of the user's sessions sent a frame, Unix milliseconds.</param>
public sealed record PresenceChangedEventArgs(string User, string Status, long LastActiveAt)
{
    /// <summary>Whether the user is online.</summary>
    public bool IsOnline => Status == "online";
}
