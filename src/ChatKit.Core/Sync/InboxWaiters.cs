namespace ChatKit.Sync;

/// <summary>
/// Long-poll waiters (<c>GET sync?waitMs=</c>): a request with nothing to read waits here until an entry for its
/// user is delivered to this node, or its time runs out. A user's signal lives only while someone waits on it.
/// </summary>
internal sealed class InboxWaiters
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Signal> _byUser = new(StringComparer.Ordinal);
    private int _waitingUsers;

    /// <summary>Waits for the next delivery to <paramref name="user"/>; returns <see langword="false"/> on timeout.</summary>
    public async Task<bool> WaitAsync(string user, TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        Signal signal;
        lock (_gate)
        {
            if (!_byUser.TryGetValue(user, out signal!))
            {
                signal = new Signal();
                _byUser.Add(user, signal);
                Volatile.Write(ref _waitingUsers, _byUser.Count);
            }

            signal.Waiters++;
        }

        try
        {
            await signal.Completion.Task.WaitAsync(timeout, clock, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            lock (_gate)
            {
                if (--signal.Waiters == 0 && _byUser.TryGetValue(user, out Signal? current) && ReferenceEquals(current, signal))
                {
                    _byUser.Remove(user);
                    Volatile.Write(ref _waitingUsers, _byUser.Count);
                }
            }
        }
    }

    public void Notify(string user)
    {
        // Delivery calls this for every entry; without long polls in flight it must cost nothing.
        if (Volatile.Read(ref _waitingUsers) == 0)
        {
            return;
        }

        Signal? signal;
        lock (_gate)
        {
            if (!_byUser.Remove(user, out signal))
            {
                return;
            }

            Volatile.Write(ref _waitingUsers, _byUser.Count);
        }

        signal.Completion.TrySetResult();
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byUser.Count;
            }
        }
    }

    private sealed class Signal
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Waiters { get; set; }
    }
}
