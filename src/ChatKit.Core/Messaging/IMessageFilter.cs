namespace ChatKit.Messaging;

/// <summary>
/// The host's hook before a message is committed: reject it, or rewrite its body or meta (profanity filters,
/// link unfurling, moderation). Filters run in registration order; the first rejection wins.
/// </summary>
public interface IMessageFilter
{
    /// <summary>Inspects, and may rewrite, a message about to be committed.</summary>
    /// <param name="context">The message.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    ValueTask<MessageFilterResult> OnSendingAsync(MessageFilterContext context, CancellationToken cancellationToken = default);
}
