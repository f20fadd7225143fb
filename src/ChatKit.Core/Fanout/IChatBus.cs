using ChatKit.Presence;
using ChatKit.Sync;

namespace ChatKit.Fanout;

/// <summary>
/// Carries live traffic between nodes: inbox entries to the nodes holding their users' sessions, ephemeral frames
/// (typing, receipts) to users, and presence changes to every node. A wake-up only: it may lose a message, and
/// sessions heal any gap from the inbox store (DESIGN.md section 3, step 6).
/// </summary>
/// <remarks>The engine delivers to this node's sessions itself; a bus only reaches the other nodes.</remarks>
public interface IChatBus
{
    /// <summary>Starts receiving from other nodes. Called once by the host's start.</summary>
    /// <param name="receiver">Delivers to this node's sessions.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    ValueTask StartAsync(IChatBusReceiver receiver, CancellationToken cancellationToken = default);

    /// <summary>Sends appended entries to the other nodes that hold sessions of their users.</summary>
    /// <param name="entries">The entries.</param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    ValueTask PublishEntriesAsync(IReadOnlyList<AppendedEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Sends a whole frame to the sessions of <paramref name="users"/> on other nodes.</summary>
    /// <param name="users">The recipients.</param>
    /// <param name="frame">The frame's UTF-8 JSON.</param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    ValueTask PublishFrameAsync(IReadOnlyList<string> users, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default);

    /// <summary>Announces a presence change to every other node.</summary>
    /// <param name="change">The change.</param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    ValueTask PublishPresenceAsync(PresenceChange change, CancellationToken cancellationToken = default);
}
