using System.Collections.Concurrent;

namespace ChatKit.Client.Tests;

/// <summary>Records every event a client raises, in order, and lets a test wait for one with a timeout.</summary>
internal sealed class EventLog
{
    private readonly ConcurrentQueue<object> _events = new();
    private readonly SemaphoreSlim _changed = new(0);

    public EventLog(ChatClient client)
    {
        client.MessageReceived += e => Add(e);
        client.ReadReceived += e => Add(e);
        client.MemberChanged += e => Add(e);
        client.TypingReceived += e => Add(e);
        client.ReceiptReceived += e => Add(e);
        client.PresenceChanged += e => Add(e);
        client.Reset += e => Add(e);
        client.Connected += e => Add(e);
        client.Disconnected += e => Add(e);
        client.Reconnecting += e => Add(e);
        client.HandlerFailed += e => Add(e);
    }

    public IReadOnlyList<object> All => [.. _events];

    public IReadOnlyList<T> Of<T>() => [.. _events.OfType<T>()];

    public IReadOnlyList<string> Bodies => [.. _events.OfType<MessageReceivedEventArgs>().Select(e => e.Message.Body)];

    public IReadOnlyList<long> Seqs => [.. _events.OfType<MessageReceivedEventArgs>().Select(e => e.Seq)];

    public Task Add(object e)
    {
        _events.Enqueue(e);
        _changed.Release();
        return Task.CompletedTask;
    }

    /// <summary>Waits until <paramref name="condition"/> holds over the recorded events.</summary>
    public async Task WaitUntilAsync(Func<EventLog, bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (!condition(this))
        {
            try
            {
                // Also re-checks now and then: some conditions (the cursor) change after the last event.
                await _changed.WaitAsync(TimeSpan.FromMilliseconds(20), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"Timed out waiting for {what ?? "a condition"}; events: {string.Join(", ", _events.Select(Describe))}");
            }
        }
    }

    public Task<T> WaitForAsync<T>(Func<T, bool>? predicate = null, TimeSpan? timeout = null) =>
        WaitForNthAsync(1, predicate, timeout);

    public async Task<T> WaitForNthAsync<T>(int n, Func<T, bool>? predicate = null, TimeSpan? timeout = null)
    {
        await WaitUntilAsync(log => log.Of<T>().Where(e => predicate?.Invoke(e) ?? true).Count() >= n, timeout, $"{n} × {typeof(T).Name}");
        return Of<T>().Where(e => predicate?.Invoke(e) ?? true).ElementAt(n - 1);
    }

    private static string Describe(object e) => e switch
    {
        MessageReceivedEventArgs m => $"Message({m.Seq}:{m.Message.Body})",
        Exception x => $"{x.GetType().Name}({x.Message})",
        _ => e.ToString() ?? "?",
    };
}
