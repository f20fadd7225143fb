using ChatKit.Protocol.Frames;

namespace ChatKit.Client.Internal;

/// <summary>Receives the frames of a <see cref="ChatConnection"/> that are not replies to a request.</summary>
internal interface IConnectionOwner
{
    /// <summary>
    /// Handles <c>welcome</c>, entries, <c>reset</c> and the unasked events, in the order received. Throwing
    /// drops the connection (for example on a gap in the inbox sequence).
    /// </summary>
    ValueTask OnFrameAsync(ChatConnection connection, ServerFrame frame);
}
