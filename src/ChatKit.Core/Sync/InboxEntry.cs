namespace ChatKit.Sync;

/// <summary>One entry of one user's inbox: a <see cref="Seq"/> and the shared <see cref="Item"/>.</summary>
/// <param name="Seq">The position in the user's inbox: 1, 2, 3, … with no gaps.</param>
/// <param name="Item">The content.</param>
public readonly record struct InboxEntry(long Seq, InboxItem Item);
