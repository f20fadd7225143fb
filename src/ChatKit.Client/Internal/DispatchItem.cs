using ChatKit.Protocol.Frames;

namespace ChatKit.Client.Internal;

/// <summary>
/// One event on its way to the app's handlers. Every handler runs on the one dispatcher task, in the order the
/// events happened, so handlers never run concurrently and the cursor moves only after an entry's handlers ran.
/// </summary>
internal readonly record struct DispatchItem(DispatchKind Kind, ServerFrame? Frame = null, object? Args = null, long Value = -1);
