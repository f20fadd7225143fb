using ChatKit.Sync;

namespace ChatKit.Messaging;

/// <summary>The outcome of <see cref="IMessageStore.CommitAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Message">The committed (or first, for a duplicate) message; <see langword="null"/> on failure.</param>
/// <param name="Appended">
/// The inbox entries the commit appended, for live delivery. Empty for a duplicate, and for stores whose fan-out
/// completes in the background (they deliver what they append themselves, see <see cref="IInboxAppendListener"/>).
/// </param>
public sealed record CommitResult(CommitStatus Status, ChatMessage? Message, IReadOnlyList<AppendedEntry> Appended)
{
    /// <summary>A failed commit.</summary>
    /// <param name="status">Why.</param>
    public static CommitResult Failed(CommitStatus status) => new(status, null, []);
}
