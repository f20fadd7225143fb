using ChatKit.Protocol.Frames;

namespace ChatKit.Client;

/// <summary>One inbox entry as returned by <see cref="ChatClient.SyncAsync"/> (PROTOCOL.md section 3).</summary>
/// <param name="Seq">The inbox sequence.</param>
/// <param name="Kind"><c>message</c>, <c>read</c> or <c>member</c>.</param>
/// <param name="Message">For <c>message</c>: the message.</param>
/// <param name="Channel">For <c>read</c> and <c>member</c>: the channel.</param>
/// <param name="UpTo">For <c>read</c>: the read mark.</param>
/// <param name="User">For <c>member</c>: the user added or removed.</param>
/// <param name="Change">For <c>member</c>: <c>added</c> or <c>removed</c>.</param>
/// <param name="By">For <c>member</c>: who made the change.</param>
public sealed record InboxEntry(
    long Seq, string Kind, WireMessage? Message, string? Channel, long? UpTo, string? User, string? Change, string? By)
{
    internal static InboxEntry FromFrame(ServerFrame frame) => new(
        frame.Seq ?? 0, frame.Kind ?? "", frame.GetMessage(), frame.ChannelId, frame.UpTo, frame.User, frame.Change, frame.By);
}
