namespace ChatKit.Sync;

/// <summary>
/// Receives inbox entries that a store appended outside of a call's result, such as a Redis fan-out worker
/// finishing a job, so that they are delivered live like any other. Registered by <c>AddChatKit()</c>; stores resolve it.
/// </summary>
public interface IInboxAppendListener
{
    /// <summary>Delivers appended entries to the live sessions of their users on every node.</summary>
    /// <param name="entries">The entries.</param>
    /// <param name="cancellationToken">Cancels the hand-off.</param>
    ValueTask OnAppendedAsync(IReadOnlyList<AppendedEntry> entries, CancellationToken cancellationToken = default);
}
