namespace ChatKit.Presence;

/// <summary>
/// Which users have live sessions, on any node, and when each was last active. Implementations decide first-open
/// and last-close atomically, so that several devices coming and going never produce two changes for one.
/// </summary>
public interface IPresenceStore
{
    /// <summary>Records a live session. Returns <see langword="true"/> when it is the user's first (the user came online).</summary>
    /// <param name="user">The user.</param>
    /// <param name="sessionId">The session, unique across nodes.</param>
    /// <param name="nodeId">The node holding it.</param>
    /// <param name="at">The server clock.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask<bool> AddSessionAsync(string user, string sessionId, string nodeId, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Removes a session. Returns <see langword="true"/> when it was the user's last (the user went offline).</summary>
    /// <param name="user">The user.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="at">The server clock, recorded as the last activity.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask<bool> RemoveSessionAsync(string user, string sessionId, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Records activity (a frame from a session of the user).</summary>
    /// <param name="user">The user.</param>
    /// <param name="at">The server clock.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask TouchAsync(string user, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Reads several users' presence, in the order asked.</summary>
    /// <param name="users">The users.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<PresenceInfo>> GetAsync(IReadOnlyList<string> users, CancellationToken cancellationToken = default);
}
