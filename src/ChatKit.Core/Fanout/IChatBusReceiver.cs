using ChatKit.Presence;
using ChatKit.Sync;

namespace ChatKit.Fanout;

/// <summary>What a <see cref="IChatBus"/> hands what it receives from other nodes to.</summary>
public interface IChatBusReceiver
{
    /// <summary>Entries appended on another node, for this node's sessions.</summary>
    /// <param name="entries">The entries.</param>
    void OnEntries(IReadOnlyList<AppendedEntry> entries);

    /// <summary>A frame for this node's sessions of <paramref name="users"/>.</summary>
    /// <param name="users">The recipients.</param>
    /// <param name="frame">The frame.</param>
    void OnFrame(IReadOnlyList<string> users, ReadOnlyMemory<byte> frame);

    /// <summary>A presence change observed on another node.</summary>
    /// <param name="change">The change.</param>
    void OnPresence(PresenceChange change);
}
