namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>
/// Mutual exclusion between the two writers of one socket (the connection's messages and the WebSocket's control
/// frames), each of which writes one thing at a time: so at most one of them ever waits. Taking a free gate is one
/// compare-and-swap and leaving it one exchange, where a <see cref="SemaphoreSlim"/> would take a lock for each.
/// </summary>
internal sealed class SendGate
{
    private int _taken;
    private TaskCompletionSource? _waiter;

    public bool TryEnter() => Interlocked.CompareExchange(ref _taken, 1, 0) == 0;

    public ValueTask EnterAsync() => TryEnter() ? default : WaitAsync();

    public void Exit()
    {
        // A full fence, so that the waiter published before its last TryEnter is seen here.
        Interlocked.Exchange(ref _taken, 0);
        if (Volatile.Read(ref _waiter) is not null)
        {
            Interlocked.Exchange(ref _waiter, null)?.TrySetResult();
        }
    }

    private async ValueTask WaitAsync()
    {
        while (true)
        {
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _waiter, waiter);

            // The holder may have left between the failed TryEnter and the publication of the waiter.
            if (TryEnter())
            {
                Interlocked.CompareExchange(ref _waiter, null, waiter);
                return;
            }

            await waiter.Task.ConfigureAwait(false);
            if (TryEnter())
            {
                return;
            }
        }
    }
}
