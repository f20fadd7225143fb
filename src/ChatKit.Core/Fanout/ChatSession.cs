using ChatKit.Messaging;
using ChatKit.Protocol;
using ChatKit.Sync;

namespace ChatKit.Fanout;

/// <summary>
/// One live connection of one device, independent of the transport that carries it. The transport writes what
/// <see cref="TryRead"/> yields (told by <see cref="OnFrameQueued"/> or by waiting in <see cref="WaitToReadAsync"/>),
/// calls <see cref="Touch"/> for every frame it receives, and closes the connection when <see cref="CloseRequested"/>
/// fires.
/// </summary>
/// <remarks>
/// <para>Delivery keeps the protocol's promise of no gap, no duplicate and no reordering. The session remembers the
/// last <c>seq</c> it queued. The next entry is queued at once; an older one is dropped as a duplicate; a newer one
/// means entries are missing (a live entry overtook another, the bus lost one, or the backlog is still being sent),
/// so the session reads the missing range from the inbox store first. While it reads, live entries only raise the
/// target, so the switch from backlog to live cannot reorder anything.</para>
/// <para>The outgoing queue is bounded. Backlog is read a page at a time, only while the queue is at most half
/// full, so a long backlog never overflows it; a live frame that finds it full closes the session with 4009, and
/// the device loses nothing because it reconnects with its cursor.</para>
/// </remarks>
public sealed class ChatSession
{
    private const int BacklogPageSize = 256;
    private readonly int _capacity;
    private readonly IMessageStore _store;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _closeRequested = new();
    private readonly HashSet<string> _presenceSubscriptions = new(StringComparer.Ordinal);
    // Nothing is queued once the close was asked for (CloseCode set, under the lock).
    private FrameRing _queue = new();
    private TaskCompletionSource<bool>? _readWaiter;
    private long _lastQueued = -1;
    private long _wanted;
    private bool _filling = true;
    private TaskCompletionSource? _roomWaiter;
    private Action? _frameQueued;
    private long _lastActivityTimestamp;
    private long _lastTouchPublished;

    internal ChatSession(string id, string user, string device, int capacity, IMessageStore store, long now)
    {
        Id = id;
        User = user;
        Device = device;
        _capacity = capacity;
        _store = store;
        _lastActivityTimestamp = now;

        // Opening the session records its user's activity in the presence store: the first touch is due an interval later.
        _lastTouchPublished = now;
    }

    /// <summary>The session id, unique across nodes.</summary>
    public string Id { get; }

    /// <summary>The user.</summary>
    public string User { get; }

    /// <summary>The device.</summary>
    public string Device { get; }

    /// <summary>Fires when the server wants this session closed; <see cref="CloseCode"/> says how.</summary>
    public CancellationToken CloseRequested => _closeRequested.Token;

    /// <summary>The close code the server asked for, once <see cref="CloseRequested"/> fired.</summary>
    public int? CloseCode { get; private set; }

    /// <summary>The close reason the server asked for.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>Frames waiting to be written.</summary>
    public int QueuedCount => _queue.Count;

    /// <summary>
    /// Whether the queue is finished: the server asked for the close and every frame queued before it has been read.
    /// The transport then sends the close frame.
    /// </summary>
    public bool IsQueueFinished => CloseCode is not null && _queue.Count == 0;

    /// <summary>The highest inbox <c>seq</c> queued for this session so far (its cursor once the queue is written).</summary>
    public long LastQueuedSeq
    {
        get
        {
            lock (_gate)
            {
                return _lastQueued;
            }
        }
    }

    internal long LastActivityTimestamp => Volatile.Read(ref _lastActivityTimestamp);

    internal HashSet<string> PresenceSubscriptions => _presenceSubscriptions;

    /// <summary>
    /// Sets what runs when a frame was queued or the close was asked for, so that a transport can write at once on the
    /// thread that queued the frame instead of waiting in <see cref="WaitToReadAsync"/>. It runs after the session
    /// has released its lock, possibly on many threads at once, and must not block.
    /// </summary>
    /// <param name="frameQueued">The callback.</param>
    public void OnFrameQueued(Action frameQueued)
    {
        ArgumentNullException.ThrowIfNull(frameQueued);
        Volatile.Write(ref _frameQueued, frameQueued);
    }

    /// <summary>Waits until a frame can be read, or the session's queue is completed (returns <see langword="false"/>).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource<bool> waiter;
        lock (_gate)
        {
            if (_queue.Count > 0 || CloseCode is not null)
            {
                return ValueTask.FromResult(_queue.Count > 0);
            }

            // One reader at a time, as ever: a cancelled wait leaves the waiter for the next one.
            waiter = _readWaiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return new ValueTask<bool>(cancellationToken.CanBeCanceled ? waiter.Task.WaitAsync(cancellationToken) : waiter.Task);
    }

    /// <summary>Takes the next frame to write, if any. Read frames in a loop to pack them in one message.</summary>
    /// <param name="frame">The frame.</param>
    public bool TryRead(out OutgoingFrame frame)
    {
        lock (_gate)
        {
            if (!_queue.TryDequeue(out frame))
            {
                return false;
            }
        }

        if (Volatile.Read(ref _roomWaiter) is { } waiter && _queue.Count <= _capacity / 2)
        {
            Interlocked.CompareExchange(ref _roomWaiter, null, waiter);
            waiter.TrySetResult();
        }

        return true;
    }

    /// <summary>Queues a whole frame (a reply or an event). A full queue closes the session with 4009.</summary>
    /// <param name="frame">The frame's UTF-8 JSON.</param>
    /// <returns>Whether the frame was queued.</returns>
    public bool Send(ReadOnlyMemory<byte> frame) => Send(new OutgoingFrame(frame));

    /// <summary>Queues a frame, such as <see cref="OutgoingFrame.ForSendOk"/>. A full queue closes the session with 4009.</summary>
    /// <param name="frame">The frame.</param>
    /// <returns>Whether the frame was queued.</returns>
    public bool Send(in OutgoingFrame frame)
    {
        lock (_gate)
        {
            if (!Enqueue(frame))
            {
                return false;
            }
        }

        NotifyQueued();
        return true;
    }

    /// <summary>Records that the client sent a data frame: it counts as a heartbeat and as activity for presence.</summary>
    /// <param name="timestamp">A <see cref="TimeProvider.GetTimestamp"/> reading.</param>
    public void Touch(long timestamp) => Volatile.Write(ref _lastActivityTimestamp, timestamp);

    /// <summary>Asks the transport to close the connection. Only the first call counts.</summary>
    /// <param name="code">The WebSocket close code (see <see cref="CloseCodes"/>).</param>
    /// <param name="reason">A short reason, without user data.</param>
    public void RequestClose(int code, string reason)
    {
        TaskCompletionSource<bool>? readWaiter;
        lock (_gate)
        {
            if (CloseCode is not null)
            {
                return;
            }

            CloseCode = code;
            CloseReason = reason;
            readWaiter = TakeReadWaiter();
        }

        readWaiter?.TrySetResult(_queue.Count > 0);
        _roomWaiter?.TrySetResult();
        NotifyQueued();

        // Transports register callbacks that may touch sockets: never run them on the thread that holds a lock.
        _ = _closeRequested.CancelAsync();
    }

    internal bool ShouldPublishTouch(long timestamp, long minInterval)
    {
        long last = Volatile.Read(ref _lastTouchPublished);
        return timestamp - last >= minInterval && Interlocked.CompareExchange(ref _lastTouchPublished, timestamp, last) == last;
    }

    /// <summary>
    /// Starts the session: queues <c>welcome</c> and <c>reset</c> if needed, and starts sending the backlog after
    /// <paramref name="after"/> in the background, followed by live entries.
    /// </summary>
    internal async Task StartAsync(Func<long, byte[]> welcome, long? after, CancellationToken cancellationToken)
    {
        InboxPage bounds = await _store.ReadInboxAsync(User, 0, 0, cancellationToken).ConfigureAwait(false);
        InboxState state = bounds.State;
        lock (_gate)
        {
            Enqueue(new OutgoingFrame(welcome(state.Head)));
            if (after is not long cursor)
            {
                _lastQueued = state.Head;
            }
            else if (state.NeedsReset(cursor))
            {
                Enqueue(new OutgoingFrame(ServerFrameWriter.Reset(state.Head)));
                _lastQueued = state.Head;
            }
            else
            {
                _lastQueued = cursor;
                _wanted = Math.Max(_wanted, state.Head);
            }
        }

        NotifyQueued();

        // Not awaited: the backlog is paced by the transport reading the queue, which starts only once this
        // session has been handed to it.
        _ = FillAsync();
    }

    /// <summary>Offers an entry of this session's user for delivery: its <c>seq</c> and its item's encoded tail.</summary>
    internal void Offer(long seq, ReadOnlyMemory<byte> entryTail)
    {
        bool inOrder;
        lock (_gate)
        {
            if (seq <= _lastQueued)
            {
                return;
            }

            inOrder = !_filling && seq == _lastQueued + 1;
            if (inOrder)
            {
                if (!Enqueue(new OutgoingFrame(seq, entryTail)))
                {
                    return;
                }

                _lastQueued = seq;
            }
            else
            {
                _wanted = Math.Max(_wanted, seq);
                if (_filling)
                {
                    return;
                }

                _filling = true;
            }
        }

        if (inOrder)
        {
            NotifyQueued();
        }
        else
        {
            _ = FillAsync();
        }
    }

    internal void FailStart()
    {
        lock (_gate)
        {
            _filling = false;
        }
    }

    private void NotifyQueued() => Volatile.Read(ref _frameQueued)?.Invoke();

    /// <summary>The reader waiting in <see cref="WaitToReadAsync"/>, if any, to be woken; the caller holds the lock.</summary>
    private TaskCompletionSource<bool>? TakeReadWaiter()
    {
        TaskCompletionSource<bool>? waiter = _readWaiter;
        _readWaiter = null;
        return waiter;
    }

    /// <summary>Queues <paramref name="frame"/> unless the close was asked for; the caller holds the lock.</summary>
    private bool Enqueue(in OutgoingFrame frame)
    {
        if (CloseCode is not null)
        {
            return false;
        }

        if (_queue.TryEnqueue(frame, _capacity))
        {
            TakeReadWaiter()?.TrySetResult(true);
            return true;
        }

        RequestClose(CloseCodes.SlowConsumer, "outgoing queue full");
        return false;
    }

    private async Task FillAsync()
    {
        try
        {
            while (true)
            {
                long after;
                long wanted;
                lock (_gate)
                {
                    after = _lastQueued;
                    wanted = _wanted;
                    if (wanted <= after || CloseCode is not null)
                    {
                        _filling = false;
                        return;
                    }
                }

                await WaitForRoomAsync().ConfigureAwait(false);
                int limit = (int)Math.Min(BacklogPageSize, Math.Max(1, (_capacity / 2) - _queue.Count));
                InboxPage page = await _store.ReadInboxAsync(User, after, limit).ConfigureAwait(false);
                lock (_gate)
                {
                    if (page.State.FirstSeq > _lastQueued + 1)
                    {
                        // Retention dropped entries this session never sent: it must reload, like a stale cursor.
                        Enqueue(new OutgoingFrame(ServerFrameWriter.Reset(page.State.Head)));
                        _lastQueued = page.State.Head;
                        continue;
                    }

                    foreach (InboxEntry e in page.Entries)
                    {
                        if (e.Seq == _lastQueued + 1 && Enqueue(new OutgoingFrame(e.Seq, e.Item.GetEntryTail())))
                        {
                            _lastQueued = e.Seq;
                        }
                    }

                    // The store is the truth: what it holds past the target is sent now rather than on its offer.
                    // An empty page means the target is not in the store (yet): stop instead of spinning; the
                    // entry's own offer starts a new fill when it arrives.
                    _wanted = page.Entries.Count == 0 ? _lastQueued : Math.Max(_wanted, page.State.Head);
                }

                NotifyQueued();
            }
        }
        catch (Exception)
        {
            // The store failed mid-backlog: close so that the device reconnects with its cursor and misses nothing.
            lock (_gate)
            {
                _filling = false;
            }

            RequestClose(1011, "inbox unavailable");
        }
    }

    private Task WaitForRoomAsync()
    {
        if (_queue.Count <= _capacity / 2 || CloseCode is not null)
        {
            return Task.CompletedTask;
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _roomWaiter, waiter);

        // The reader may have drained the queue between the check and the publication of the waiter.
        if (_queue.Count <= _capacity / 2 || CloseCode is not null)
        {
            waiter.TrySetResult();
        }

        return waiter.Task;
    }
}
