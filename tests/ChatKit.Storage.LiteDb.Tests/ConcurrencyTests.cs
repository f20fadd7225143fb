using ChatKit.Messaging;
using ChatKit.Storage.LiteDb.Internal;
using ChatKit.Storage.LiteDb.Messaging;
using ChatKit.Sync;
using Xunit.Abstractions;

namespace ChatKit.Storage.LiteDb.Tests;

/// <summary>
/// Reads from many threads while sends commit and the maintenance thread folds them into the file and checkpoints:
/// what a node under overload does when lagging sessions refill from the file.
/// </summary>
public sealed class ConcurrencyTests(ITestOutputHelper output) : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task File_reads_during_materializations_and_checkpoints_all_succeed()
    {
        // Fold in every 20 ms, and checkpoint LiteDB's log at its smallest size, so that the file changes under
        // the readers all the time.
        using LiteDbChatDatabase db = _file.OpenDatabase(o =>
        {
            o.MaterializeInterval = TimeSpan.FromMilliseconds(20);
            o.CheckpointLogBytes = 1024 * 1024;
        });
        LiteDbMessageStore store = TempDatabase.MessageStore(db);
        const int pairs = 50;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        long sent = 0;
        long reads = 0;
        long id = 0;

        async Task Send(int sender)
        {
            int n = 0;
            while (!stop.IsCancellationRequested)
            {
                int pair = (sender + n++) % pairs;
                string low = $"a{pair:D3}", high = $"b{pair:D3}";
                CommitResult result = await store.CommitAsync(new MessageDraft(Interlocked.Increment(ref id), $"d:{low}:{high}", (low, high),
                    low, "d", new string('x', 100), null, $"m{sender}-{n}", T0.AddMilliseconds(n)));
                Assert.Equal(CommitStatus.Committed, result.Status);
                Interlocked.Increment(ref sent);
            }
        }

        async Task Read(int reader)
        {
            var random = new Random(reader);
            while (!stop.IsCancellationRequested)
            {
                int pair = random.Next(pairs);
                InboxPage page = await store.ReadInboxAsync($"b{pair:D3}", 0, 50);
                HistoryPage history = await store.GetHistoryAsync($"d:a{pair:D3}:b{pair:D3}", null, 50);
                Assert.True(page.Entries.Count <= 50 && history.Messages.Count <= 50);
                Interlocked.Increment(ref reads);
                await Task.Yield();
            }
        }

        await Task.WhenAll([
            .. Enumerable.Range(0, 8).Select(i => Task.Run(() => Send(i))),
            .. Enumerable.Range(0, 8).Select(i => Task.Run(() => Read(i))),
        ]);

        output.WriteLine($"{sent:N0} sends, {reads:N0} reads of an inbox and a history page");
        Assert.True(sent > 0 && reads > 0);

        // The engine is still healthy: a send and a read after the storm.
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(new MessageDraft(Interlocked.Increment(ref id), "d:a000:b000", ("a000", "b000"),
            "a000", "d", "after", null, "after", T0.AddDays(1)))).Status);
        Assert.Equal("after", (await store.GetHistoryAsync("d:a000:b000", null, 1)).Messages.Single().Body);
    }
}
