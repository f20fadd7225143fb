namespace ChatKit.Client;

/// <summary>A <c>member</c> inbox entry: a user was added to or removed from a channel.</summary>
/// <param name="Seq">The entry's inbox sequence.</param>
/// <param name="Channel">The channel.</param>
/// <param name="User">The user added or removed.</param>
/// <param name="Change"><c>added</c> or <c>removed</c>.</param>
/// <param name="By">Who made the change.</param>
public sealed record MemberChangedEventArgs(long Seq, string Channel, string User, string Change, string? By)
{
    /// <summary>Whether <see cref="User"/> was added (otherwise removed).</summary>
    public bool IsAdded => Change == "added";
}
