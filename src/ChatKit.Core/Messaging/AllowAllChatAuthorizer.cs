namespace ChatKit.Messaging;

/// <summary>The default <see cref="IChatAuthorizer"/>: membership is the only rule.</summary>
public sealed class AllowAllChatAuthorizer : IChatAuthorizer
{
    /// <inheritdoc />
    public ValueTask<bool> CanMessageAsync(string from, string to, CancellationToken cancellationToken = default) => new(true);

    /// <inheritdoc />
    public ValueTask<bool> CanAddMemberAsync(string actor, string user, CancellationToken cancellationToken = default) => new(true);
}
