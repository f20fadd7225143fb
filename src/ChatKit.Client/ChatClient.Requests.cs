using System.Diagnostics;
using System.Text.Json;
using ChatKit.Client.Internal;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;

namespace ChatKit.Client;

public sealed partial class ChatClient
{
    private readonly HashSet<string> _presenceSubscriptions = new(StringComparer.Ordinal);

    /// <summary>Sends a message to a channel the user belongs to.</summary>
    /// <param name="channel">The channel id.</param>
    /// <param name="body">The text, 1…<c>maxBodyChars</c> characters.</param>
    /// <param name="meta">An optional JSON object for the host's own data.</param>
    /// <param name="clientMsgId">
    /// The idempotency key; default: a new one. Pass your own (and keep it in an outbox) to retry a send across
    /// process restarts without creating a second message.
    /// </param>
    /// <param name="cancellationToken">Cancels waiting; the message may still have been stored.</param>
    /// <returns>The stored message (the first one, if this <paramref name="clientMsgId"/> was used before).</returns>
    public Task<WireMessage> SendAsync(
        string channel, string body, JsonElement? meta = null, string? clientMsgId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        return SendCoreAsync(new ClientFrame { Type = FrameTypes.Send, Channel = channel }, body, meta, clientMsgId, cancellationToken);
    }

    /// <summary>Sends a direct message to a user (opening or reusing the direct channel of the two users).</summary>
    /// <param name="toUser">The recipient's user id (may be the user itself).</param>
    /// <param name="body">The text, 1…<c>maxBodyChars</c> characters.</param>
    /// <param name="meta">An optional JSON object for the host's own data.</param>
    /// <param name="clientMsgId">The idempotency key; default: a new one.</param>
    /// <param name="cancellationToken">Cancels waiting; the message may still have been stored.</param>
    /// <returns>The stored message.</returns>
    public Task<WireMessage> SendDirectAsync(
        string toUser, string body, JsonElement? meta = null, string? clientMsgId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(toUser);
        return SendCoreAsync(new ClientFrame { Type = FrameTypes.Send, To = toUser }, body, meta, clientMsgId, cancellationToken);
    }

    /// <summary>Reads a page of a channel's history, newest page first.</summary>
    /// <param name="channel">The channel id.</param>
    /// <param name="before">Exclusive upper <c>channelSeq</c>; default: newest.</param>
    /// <param name="limit">1–200; default 50.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<HistoryResult> HistoryAsync(string channel, long? before = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ServerFrame reply = await RequestAsync(
            new ClientFrame { Type = FrameTypes.History, Channel = channel, Before = before, Limit = limit }, retry: true, cancellationToken)
            .ConfigureAwait(false);
        return new HistoryResult(reply.Messages ?? [], reply.HasMore ?? false);
    }

    /// <summary>
    /// Pulls inbox entries after <paramref name="after"/>. This is a plain read: it raises no events and does not
    /// move the cursor (the connection already streams the inbox).
    /// </summary>
    /// <param name="after">The exclusive lower <c>seq</c>.</param>
    /// <param name="limit">1–1000; default 500.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<SyncResult> SyncAsync(long after, int? limit = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        ServerFrame reply = await RequestAsync(
            new ClientFrame { Type = FrameTypes.Sync, After = after, Limit = limit }, retry: true, cancellationToken).ConfigureAwait(false);
        ServerFrame[] entries = reply.Entries ?? [];
        var list = new InboxEntry[entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            list[i] = InboxEntry.FromFrame(entries[i]);
        }

        return new SyncResult(list, reply.Head ?? 0, reply.HasMore ?? false, reply.Reset ?? false);
    }

    /// <summary>Lists the user's channels, newest activity first, with read marks and unread counts.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<IReadOnlyList<WireChannel>> ChannelsAsync(CancellationToken cancellationToken = default)
    {
        ServerFrame reply = await RequestAsync(new ClientFrame { Type = FrameTypes.Channels }, retry: true, cancellationToken).ConfigureAwait(false);
        return reply.Channels ?? [];
    }

    /// <summary>
    /// Creates a group owned by this user. Not retried across a lost connection (it could create two groups): a
    /// lost reply fails with <c>unavailable</c>; check <see cref="ChannelsAsync"/> before creating again.
    /// </summary>
    /// <param name="name">1–100 characters.</param>
    /// <param name="members">The other members (the creator is added).</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    public async Task<WireChannel> CreateGroupAsync(string name, IEnumerable<string> members, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(members);
        ServerFrame reply = await RequestAsync(
            new ClientFrame { Type = FrameTypes.GroupCreate, Name = name, Members = [.. members] }, retry: false, cancellationToken)
            .ConfigureAwait(false);
        return ChannelOf(reply);
    }

    /// <summary>Adds users to a group (owner only).</summary>
    /// <param name="channel">The group.</param>
    /// <param name="users">The users to add.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<WireChannel> AddMembersAsync(string channel, IEnumerable<string> users, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(users);
        ServerFrame reply = await RequestAsync(
            new ClientFrame { Type = FrameTypes.GroupAdd, Channel = channel, Users = [.. users] }, retry: true, cancellationToken)
            .ConfigureAwait(false);
        return ChannelOf(reply);
    }

    /// <summary>Removes users from a group (owner only; any member may remove itself to leave).</summary>
    /// <param name="channel">The group.</param>
    /// <param name="users">The users to remove.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<WireChannel> RemoveMembersAsync(string channel, IEnumerable<string> users, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(users);
        ServerFrame reply = await RequestAsync(
            new ClientFrame { Type = FrameTypes.GroupRemove, Channel = channel, Users = [.. users] }, retry: true, cancellationToken)
            .ConfigureAwait(false);
        return ChannelOf(reply);
    }

    /// <summary>Marks a channel read up to a <c>channelSeq</c> (never moves backwards).</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="upTo">The <c>channelSeq</c> read up to.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task MarkReadAsync(string channel, long upTo, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentOutOfRangeException.ThrowIfNegative(upTo);
        return RequestAsync(new ClientFrame { Type = FrameTypes.Read, Channel = channel, UpTo = upTo }, retry: true, cancellationToken);
    }

    /// <summary>
    /// Tells the other members that this user is typing. Ephemeral: sent without a reply when connected, dropped
    /// when not.
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="cancellationToken">Unused; for symmetry.</param>
    public Task TypingAsync(string channel, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        if (Volatile.Read(ref _current) is { IsClosed: false } connection)
        {
            try
            {
                connection.Enqueue(new ClientFrame { Type = FrameTypes.Typing, Channel = channel });
            }
            catch (ConnectionLostException)
            {
                // Typing is worthless later.
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Subscribes to users' presence (at most 1,000 per session). Subscriptions are renewed after every
    /// reconnect, and <see cref="PresenceChanged"/> is raised for changes missed meanwhile.
    /// </summary>
    /// <param name="users">The users.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The users' current presence.</returns>
    public async Task<IReadOnlyList<WirePresence>> SubscribePresenceAsync(IEnumerable<string> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        string[] list = [.. users];
        ServerFrame reply = await RequestAsync(
            new ClientFrame { Type = FrameTypes.PresenceSubscribe, Users = list }, retry: true, cancellationToken).ConfigureAwait(false);
        WirePresence[] presence = reply.Presence ?? [];
        lock (_presenceSubscriptions)
        {
            _presenceSubscriptions.UnionWith(list);
        }

        lock (_presenceStatus)
        {
            foreach (WirePresence p in presence)
            {
                _presenceStatus[p.User] = p.Status;
            }
        }

        return presence;
    }

    /// <summary>Ends presence subscriptions.</summary>
    /// <param name="users">The users.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task UnsubscribePresenceAsync(IEnumerable<string> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        string[] list = [.. users];
        lock (_presenceSubscriptions)
        {
            _presenceSubscriptions.ExceptWith(list);
        }

        lock (_presenceStatus)
        {
            foreach (string user in list)
            {
                _presenceStatus.Remove(user);
            }
        }

        await RequestAsync(new ClientFrame { Type = FrameTypes.PresenceUnsubscribe, Users = list }, retry: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Binds a push address to this device.</summary>
    /// <param name="provider"><c>webpush</c>, <c>fcm</c> or <c>apns</c>.</param>
    /// <param name="token">The provider's address of this device.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task RegisterPushAsync(string provider, string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentException.ThrowIfNullOrEmpty(token);
        return RequestAsync(new ClientFrame { Type = FrameTypes.PushRegister, Provider = provider, Token = token }, retry: true, cancellationToken);
    }

    /// <summary>Removes a push address from this device.</summary>
    /// <param name="provider"><c>webpush</c>, <c>fcm</c> or <c>apns</c>.</param>
    /// <param name="token">The provider's address of this device.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task UnregisterPushAsync(string provider, string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentException.ThrowIfNullOrEmpty(token);
        return RequestAsync(new ClientFrame { Type = FrameTypes.PushUnregister, Provider = provider, Token = token }, retry: true, cancellationToken);
    }

    /// <summary>Sends <c>ping</c> and waits for <c>pong</c>.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The round-trip time.</returns>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        long started = Stopwatch.GetTimestamp();
        await RequestAsync(new ClientFrame { Type = FrameTypes.Ping }, retry: true, cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(started);
    }

    private async Task<WireMessage> SendCoreAsync(
        ClientFrame frame, string body, JsonElement? meta, string? clientMsgId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(body);
        if (clientMsgId is { Length: 0 or > ProtocolLimits.MaxClientMsgIdLength })
        {
            throw new ArgumentException($"A clientMsgId has 1–{ProtocolLimits.MaxClientMsgIdLength} characters.", nameof(clientMsgId));
        }

        frame.Body = body;
        frame.Meta = meta;

        // One key per logical send, reused by every retry on every connection: the server stores the message once.
        frame.ClientMsgId = clientMsgId ?? Guid.NewGuid().ToString("N");
        ServerFrame reply = await RequestAsync(frame, retry: true, cancellationToken).ConfigureAwait(false);
        return reply.GetMessage()
            ?? throw new ChatClientException(ErrorCodes.Internal, "The server's reply to send has no message object.");
    }

    private static WireChannel ChannelOf(ServerFrame reply) =>
        reply.GetChannelObject() ?? throw new ChatClientException(ErrorCodes.Internal, "The server's reply has no channel object.");

    private async Task<ServerFrame> RequestAsync(ClientFrame frame, bool retry, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposeCts.Token);
        cts.CancelAfter(_options.RequestTimeout);
        try
        {
            while (true)
            {
                ChatConnection connection = await WaitForConnectionAsync(cts.Token).ConfigureAwait(false);
                string rid = NextRid();
                frame.Rid = rid;
                try
                {
                    Task<ServerFrame> pending = connection.Register(rid);
                    connection.Enqueue(frame);
                    ServerFrame reply = await pending.WaitAsync(cts.Token).ConfigureAwait(false);
                    if (reply.Type == FrameTypes.Error)
                    {
                        throw new ChatClientException(
                            reply.Code ?? ErrorCodes.Internal,
                            reply.ErrorMessage ?? $"The server refused {frame.Type}.",
                            reply.RetryAfterMs is long ms ? TimeSpan.FromMilliseconds(ms) : null);
                    }

                    return reply;
                }
                catch (ConnectionLostException) when (retry)
                {
                    // Sent again on the next connection, with the same clientMsgId for a send.
                }
                catch (ConnectionLostException ex)
                {
                    throw new ChatClientException(
                        ErrorCodes.Unavailable,
                        $"The connection was lost before the reply to {frame.Type} arrived; the request may or may not have taken effect.",
                        innerException: ex);
                }
                finally
                {
                    connection.Unregister(rid);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && cts.IsCancellationRequested)
        {
            ObjectDisposedException.ThrowIf(_disposeCts.IsCancellationRequested, this);
            throw new TimeoutException($"No reply to {frame.Type} within {_options.RequestTimeout.TotalSeconds:0.###} s.");
        }
    }

    private async Task ResubscribePresenceAsync()
    {
        string[] users;
        lock (_presenceSubscriptions)
        {
            users = [.. _presenceSubscriptions];
        }

        try
        {
            foreach (string[] chunk in users.Chunk(ProtocolLimits.MaxPresenceSubscriptions))
            {
                ServerFrame reply = await RequestAsync(
                    new ClientFrame { Type = FrameTypes.PresenceSubscribe, Users = chunk }, retry: true, CancellationToken.None).ConfigureAwait(false);
                if (reply.Presence is { Length: > 0 } presence)
                {
                    await EnqueueAsync(new DispatchItem(DispatchKind.PresenceSnapshot, Args: presence)).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is ChatClientException or TimeoutException or ObjectDisposedException or InvalidOperationException)
        {
            // The next reconnect tries again; a lost subscription is not worth failing the client for.
            if (ex is not ObjectDisposedException)
            {
                ReportFailure(ex);
            }
        }
    }
}
