namespace ChatKit.Internal;

/// <summary>Waiting for commands sent together.</summary>
internal static class Replies
{
    /// <summary>
    /// Waits for every call as <see cref="Task.WhenAll(Task[])"/> does, failures included, but one after the other in
    /// the order they were sent. StackExchange.Redis completes each command's task on the thread pool, so
    /// <see cref="Task.WhenAll(Task[])"/> takes one thread pool hop per command; replies on one connection arrive in
    /// the order of the commands, so here usually only the first wait suspends.
    /// </summary>
    public static async Task InOrderAsync(Task[] calls)
    {
        foreach (Task call in calls)
        {
            await call.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        // Every call has completed: this throws what failed, without waiting.
        await Task.WhenAll(calls).ConfigureAwait(false);
    }
}
