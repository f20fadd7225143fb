using ChatKit.Presence;
using ChatKit.Sync;

namespace ChatKit.Fanout;

/// <summary>The default <see cref="IChatBus"/> for a single node: there is no other node to reach.</summary>
public sealed class LocalChatBus : IChatBus
{
    /// <inheritdoc />
    public ValueTask StartAsync(IChatBusReceiver receiver, CancellationToken cancellationToken = default) => default;

    /// <inheritdoc />
    public ValueTask PublishEntriesAsync(IReadOnlyList<AppendedEntry> entries, CancellationToken cancellationToken = default) => default;

    /// <inheritdoc />
    public ValueTask PublishFrameAsync(IReadOnlyList<string> users, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default) => default;

    /// <inheritdoc />
    public ValueTask PublishPresenceAsync(PresenceChange change, CancellationToken cancellationToken = default) => default;
}
