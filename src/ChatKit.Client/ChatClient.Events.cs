using ChatKit.Client.Internal;
using ChatKit.Protocol.Frames;

namespace ChatKit.Client;

public sealed partial class ChatClient
{
    private readonly Dictionary<string, string> _presenceStatus = new(StringComparer.Ordinal);

    /// <summary>A message arrived in one of the user's channels (the user's own messages from any device included).</summary>
    public event Func<MessageReceivedEventArgs, Task>? MessageReceived;

    /// <summary>This user marked a channel read on some device (clear the unread badge).</summary>
    public event Func<ReadReceivedEventArgs, Task>? ReadReceived;

    /// <summary>A user was added to or removed from one of the user's channels.</summary>
    public event Func<MemberChangedEventArgs, Task>? MemberChanged;

    /// <summary>Another member is typing.</summary>
    public event Func<TypingEventArgs, Task>? TypingReceived;

    /// <summary>Another member read a channel up to a <c>channelSeq</c>.</summary>
    public event Func<ReceiptEventArgs, Task>? ReceiptReceived;

    /// <summary>A subscribed user went online or offline (also raised after a reconnect for changes missed meanwhile).</summary>
    public event Func<PresenceChangedEventArgs, Task>? PresenceChanged;

    /// <summary>The cursor was out of the inbox's range: reload channels and history.</summary>
    public event Func<ResetEventArgs, Task>? Reset;

    /// <summary>A session opened (first connection or reconnect).</summary>
    public event Func<ConnectedEventArgs, Task>? Connected;

    /// <summary>The connection was lost or closed.</summary>
    public event Func<DisconnectedEventArgs, Task>? Disconnected;

    /// <summary>The client waits before a reconnect attempt.</summary>
    public event Func<ReconnectingEventArgs, Task>? Reconnecting;

    /// <summary>
    /// An event handler or the cursor store threw. The client goes on (a handler that throws still moves the cursor,
    /// so one bad entry cannot stop the inbox); log it here.
    /// </summary>
    public event Action<Exception>? HandlerFailed;

    private async Task DispatchLoopAsync()
    {
        _onDispatcher.Value = true;
        while (true)
        {
            try
            {
                while (await _events.Reader.WaitToReadAsync(_disposeCts.Token).ConfigureAwait(false))
                {
                    while (_events.Reader.TryRead(out DispatchItem item))
                    {
                        if (_disposeCts.IsCancellationRequested)
                        {
                            return;
                        }

                        await DispatchAsync(item).ConfigureAwait(false);
                    }
                }

                return;
            }
            catch (OperationCanceledException) when (_disposeCts.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // DispatchAsync reports handler failures itself; this would be a bug in the client: keep dispatching.
                ReportFailure(ex);
            }
        }
    }

    private async ValueTask DispatchAsync(DispatchItem item)
    {
        switch (item.Kind)
        {
            case DispatchKind.Entry:
                await DispatchEntryAsync(item.Frame!).ConfigureAwait(false);
                break;

            case DispatchKind.Reset:
                await RaiseAsync(Reset, new ResetEventArgs(item.Value)).ConfigureAwait(false);
                await SaveCursorAsync(item.Value).ConfigureAwait(false);
                break;

            case DispatchKind.Typing:
                await RaiseAsync(TypingReceived, new TypingEventArgs(item.Frame!.ChannelId ?? "", item.Frame.User ?? "")).ConfigureAwait(false);
                break;

            case DispatchKind.Receipt:
                await RaiseAsync(
                    ReceiptReceived, new ReceiptEventArgs(item.Frame!.ChannelId ?? "", item.Frame.User ?? "", item.Frame.UpTo ?? 0))
                    .ConfigureAwait(false);
                break;

            case DispatchKind.Presence:
                ServerFrame presence = item.Frame!;
                if (presence.User is { } user)
                {
                    string status = presence.Status ?? "offline";
                    lock (_presenceStatus)
                    {
                        _presenceStatus[user] = status;
                    }

                    await RaiseAsync(PresenceChanged, new PresenceChangedEventArgs(user, status, presence.LastActiveAt ?? 0)).ConfigureAwait(false);
                }

                break;

            case DispatchKind.PresenceSnapshot:
                foreach (WirePresence p in (IReadOnlyList<WirePresence>)item.Args!)
                {
                    bool changed;
                    lock (_presenceStatus)
                    {
                        changed = !_presenceStatus.TryGetValue(p.User, out string? known) || known != p.Status;
                        _presenceStatus[p.User] = p.Status;
                    }

                    if (changed)
                    {
                        await RaiseAsync(PresenceChanged, new PresenceChangedEventArgs(p.User, p.Status, p.LastActiveAt)).ConfigureAwait(false);
                    }
                }

                break;

            case DispatchKind.Connected:
                if (item.Value >= 0 && Volatile.Read(ref _appliedSeq) < 0)
                {
                    await SaveCursorAsync(item.Value).ConfigureAwait(false);
                }

                await RaiseAsync(Connected, (ConnectedEventArgs)item.Args!).ConfigureAwait(false);
                break;

            case DispatchKind.Disconnected:
                await RaiseAsync(Disconnected, (DisconnectedEventArgs)item.Args!).ConfigureAwait(false);
                break;

            case DispatchKind.Reconnecting:
                await RaiseAsync(Reconnecting, (ReconnectingEventArgs)item.Args!).ConfigureAwait(false);
                break;
        }
    }

    private async ValueTask DispatchEntryAsync(ServerFrame entry)
    {
        long seq = entry.Seq!.Value;
        if (seq <= Volatile.Read(ref _appliedSeq))
        {
            return;
        }

        switch (entry.Kind)
        {
            case "message":
                if (entry.GetMessage() is { } message)
                {
                    await RaiseAsync(MessageReceived, new MessageReceivedEventArgs(seq, message)).ConfigureAwait(false);
                }

                break;

            case "read":
                await RaiseAsync(ReadReceived, new ReadReceivedEventArgs(seq, entry.ChannelId ?? "", entry.UpTo ?? 0)).ConfigureAwait(false);
                break;

            case "member":
                await RaiseAsync(
                    MemberChanged, new MemberChangedEventArgs(seq, entry.ChannelId ?? "", entry.User ?? "", entry.Change ?? "", entry.By))
                    .ConfigureAwait(false);
                break;

            default:
                // A kind from a later protocol version: nothing to raise, but the cursor moves past it.
                break;
        }

        await SaveCursorAsync(seq).ConfigureAwait(false);
    }

    private async ValueTask SaveCursorAsync(long cursor)
    {
        Volatile.Write(ref _appliedSeq, cursor);
        try
        {
            await _cursorStore.SaveAsync(cursor, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ReportFailure(ex);
        }
    }

    private async ValueTask RaiseAsync<T>(Func<T, Task>? handlers, T args)
    {
        if (handlers is null)
        {
            return;
        }

        if (handlers.HasSingleTarget)
        {
            await InvokeAsync(handlers, args).ConfigureAwait(false);
            return;
        }

        foreach (Func<T, Task> handler in Delegate.EnumerateInvocationList(handlers))
        {
            await InvokeAsync(handler, args).ConfigureAwait(false);
        }
    }

    private async ValueTask InvokeAsync<T>(Func<T, Task> handler, T args)
    {
        try
        {
            await handler(args).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ReportFailure(ex);
        }
    }

    private void ReportFailure(Exception exception)
    {
        try
        {
            HandlerFailed?.Invoke(exception);
        }
        catch (Exception)
        {
            // A failing failure handler has nowhere left to report to.
        }
    }
}
