namespace ChatKit.Fanout;

/// <summary>
/// Holds back, on the current thread, the wake-ups of the writers waiting in
/// <see cref="ChatSession.WaitToReadAsync"/>, and wakes them on this thread once the synchronous part of some work is
/// done. A transport runs the handling of each received frame through <see cref="Run"/>: everything that frame queues
/// (the recipients' entries, the sender's own entry and its <c>ok</c>) is then written right after, packed per
/// connection, on the thread that already runs, instead of each writer being handed to another thread.
/// </summary>
/// <remarks>
/// <para>Outside a batch a wake-up goes to the thread pool, so a writer never runs on a thread that queued its frame
/// while it may hold a lock. Inside one, writers run only when the batch ends, where its owner holds none.</para>
/// <para>A batch opened while another is open on the same thread joins it: the outer one wakes everything.</para>
/// <para>The fan-out opens a batch of its own (joined when a transport's is open): where it runs alone, after a store
/// that commits asynchronously, it hands all the writers one commit wakes to the thread pool as one work item.</para>
/// </remarks>
public static class SessionWakeBatch
{
    private const int MaxKeptCapacity = 1024;

    [ThreadStatic]
    private static List<ChatSession>? t_deferred;

    [ThreadStatic]
    private static bool t_open;

    internal enum Mode
    {
        Joined,
        WakeOnThisThread,
        WakeOnThreadPool,
    }

    /// <summary>
    /// Starts <paramref name="handler"/> inside a batch and wakes, on this thread, the writers it reached by the time
    /// it first yields (or returns). What it does after an <see langword="await"/> that yields is outside the batch.
    /// </summary>
    /// <typeparam name="TState">What the handler needs, passed without a closure.</typeparam>
    /// <param name="handler">The handling of one received frame.</param>
    /// <param name="state">The handler's argument.</param>
    /// <returns>The handler's task.</returns>
    public static Task Run<TState>(Func<TState, Task> handler, TState state)
    {
        ArgumentNullException.ThrowIfNull(handler);
        using Scope batch = Open(Mode.WakeOnThisThread);
        return handler(state);
    }

    /// <summary>
    /// Opens a batch whose writers are woken together by one thread-pool work item when it is disposed (or joins the
    /// batch already open). For synchronous code that may run before its caller queues more frames for the same
    /// sessions; dispose it on the same thread.
    /// </summary>
    internal static Scope BeginForThreadPool() => Open(Mode.WakeOnThreadPool);

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

    private static Scope Open(Mode mode)
    {
        if (t_open)
        {
            return default;
        }

        t_open = true;
        return new Scope(mode);
    }

    private static void Close(Mode mode)
    {
        List<ChatSession>? deferred = t_deferred;
        try
        {
            if (deferred is null || deferred.Count == 0)
            {
                return;
            }

            if (mode == Mode.WakeOnThreadPool)
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

    private static void WakeAll(ChatSession[] sessions)
    {
        // Writers woken here that queue frames for others wake them in this batch too.
        using Scope batch = Open(Mode.WakeOnThisThread);
        foreach (ChatSession session in sessions)
        {
            session.WakeReaderNow();
        }
    }

    /// <summary>An open batch (or a joined one, which does nothing when disposed).</summary>
    internal readonly struct Scope : IDisposable
    {
        private readonly Mode _mode;

        internal Scope(Mode mode) => _mode = mode;

        /// <summary>Wakes the writers held back since the batch was opened.</summary>
        public void Dispose()
        {
            if (_mode != Mode.Joined)
            {
                Close(_mode);
            }
        }
    }
}
