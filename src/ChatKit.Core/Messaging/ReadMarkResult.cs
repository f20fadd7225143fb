using ChatKit.Sync;

namespace ChatKit.Messaging;

/// <summary>The outcome of <see cref="IMessageStore.MarkReadAsync"/>.</summary>
/// <param name="Status"><see cref="CommitStatus.Committed"/>, <see cref="CommitStatus.Unchanged"/> or a failure.</param>
/// <param name="Channel">The channel (for receipts to the other members); <see langword="null"/> when not found.</param>
/// <param name="Appended">The <c>read</c> entry appended to the reader's inbox, when the mark moved.</param>
public sealed record ReadMarkResult(CommitStatus Status, ChatChannel? Channel, IReadOnlyList<AppendedEntry> Appended);
