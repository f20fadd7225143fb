using ChatKit.Sync;

namespace ChatKit.Messaging;

/// <summary>The outcome of creating a group or changing its members.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Channel">The channel after the change; <see langword="null"/> on failure.</param>
/// <param name="Appended">The <c>member</c> inbox entries appended, for live delivery.</param>
public sealed record ChannelChangeResult(CommitStatus Status, ChatChannel? Channel, IReadOnlyList<AppendedEntry> Appended)
{
    /// <summary>A failed change.</summary>
    /// <param name="status">Why.</param>
    public static ChannelChangeResult Failed(CommitStatus status) => new(status, null, []);
}
