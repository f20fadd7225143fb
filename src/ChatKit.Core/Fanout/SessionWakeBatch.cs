namespace ChatKit.Fanout;

/// <summary>
/// Holds back, on the current thread, the wake-ups of the writers waiting in
/// <see cref="ChatSession.WaitToReadAsync"/>, and wakes them on this thread when disposed. A transport opens one around
/// the synchronous part of handling a received frame: everything that frame queues (the recipients' entries, the
/// sender's own entry and its <c>ok</c>) is then written right after, packed per connection, on the thread that already
/// runs, instead of each writer being handed to another thread.
/// </summary>
/// <remarks>
/// <para>Outside a batch a wake-up goes to the thread pool, so a writer never runs on a thread that queued its frame
/// while it may hold a lock. Inside one, writers run only when the batch ends, where its owner holds none.</para>
/// <para>A batch opened while another is open on the same thread joins it: the outer one wakes everything. The thread
/// must not wait for a writer between opening and disposing the batch.</para>
/// <para>The fan-out opens a batch of its own (joined when a transport's is open): where it runs alone, after a store
/// that commits asynchronously, it hands all the writers one commit wakes to the thread pool as one work item.</para>
/// </remarks>
public readonly struct SessionWakeBatch : IDisposable
{
    private const int MaxKeptCapacity = 1024;

    [ThreadStatic]
    private static List<ChatSession>? t_deferred;

    [ThreadStatic]
    private static bool t_open;

    private readonly Mode _mode;

    private SessionWakeBatch(Mode mode) => _mode = mode;

    private enum Mode
    {
        Joined,
        WakeOnThisThread,
        WakeOnThreadPool,
    }

    /// <summary>Opens a batch on the current thread (or joins the one already open).</summary>
    /// <returns>The batch; dispose it on the same thread, before any <see langword="await"/> that may yield.</returns>
    public static SessionWakeBatch Begin() => Open(Mode.WakeOnThisThread);

    /// <summary>
    /// Opens a batch whose writers are woken together by one thread-pool work item (or joins the batch already open).
    /// For code that may run under a caller's lock, or before its caller queues more frames for the same sessions.
    /// </summary>
    internal static SessionWakeBatch BeginForThreadPool() => Open(Mode.WakeOnThreadPool);

    /// <summary>Wakes the writers held back since the batch was opened.</summary>
    public void Dispose()
    {
        if (_mode == Mode.Joined)
        {
            return;
        }

        List<ChatSession>? deferred = t_deferred;
        try
        {
            if (deferred is null || deferred.Count == 0)
            {
                return;
            }

            if (_mode == Mode.WakeOnThreadPool)
            {
                if (deferred.Count == 1)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static s => s.WakeReaderNow(), deferred[0], preferLocal: false);
                }
                else
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static s => WakeAll(s), deferred.ToArray(), preferLocal: false);
                }

                return;
            }

            // A writer woken here may queue frames for others (a close, say): they join the list and are woken too.
            for (int i = 0; i < deferred.Count; i++)
            {
                deferred[i].WakeReaderNow();
            }
        }
        finally
        {
            // A commit that reached thousands of sessions should not pin its list on this thread for good.
            if (deferred is { Capacity: > MaxKeptCapacity })
            {
                t_deferred = null;
            }
            else
            {
                deferred?.Clear();
            }

            t_open = false;
        }
    }

    /// <summary>Holds <paramref name="session"/>'s wake-up back if a batch is open on this thread.</summary>
    internal static bool TryDefer(ChatSession session)
    {
        if (!t_open)
        {
            return false;
        }

        (t_deferred ??= []).Add(session);
        return true;
    }

    private static SessionWakeBatch Open(Mode mode)
    {
        if (t_open)
        {
            return default;
        }

        t_open = true;
        return new SessionWakeBatch(mode);
    }

    private static void WakeAll(ChatSession[] sessions)
    {
        // Writers woken here that queue frames for others wake them in this batch too.
        using SessionWakeBatch batch = Begin();
        foreach (ChatSession session in sessions)
        {
            session.WakeReaderNow();
        }
    }
}
