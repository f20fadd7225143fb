namespace ChatKit.Messaging;

/// <summary>
/// The host's rules of who may reach whom, on top of membership (which ChatKit always enforces): blocked users,
/// contacts-only messaging, who may invite whom. The default allows everything.
/// </summary>
public interface IChatAuthorizer
{
    /// <summary>Whether <paramref name="from"/> may open or use a direct channel with <paramref name="to"/>.</summary>
    /// <param name="from">The sender.</param>
    /// <param name="to">The recipient.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    ValueTask<bool> CanMessageAsync(string from, string to, CancellationToken cancellationToken = default);

    /// <summary>Whether <paramref name="actor"/> may add <paramref name="user"/> to a group (also at creation).</summary>
    /// <param name="actor">Who adds.</param>
    /// <param name="user">Who is added.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    ValueTask<bool> CanAddMemberAsync(string actor, string user, CancellationToken cancellationToken = default);
}
