using ChatKit.Sync;

namespace ChatKit.Tests.Messaging;

/// <summary>The in-memory store's inbox: contiguous seqs across its segments, and retention that gives memory back.</summary>
public sealed class InboxLogTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(3, 50)]
    [InlineData(1_000, 2_000)]
    [InlineData(300, 5_000)]
    [InlineData(10_000, 1_000)]
    public void Entries_keep_their_seqs_through_growth_and_trimming(int keep, int appended)
    {
        var log = new InboxLog();
        for (int i = 1; i <= appended; i++)
        {
            Assert.Equal(i, log.Append(new InboxSlot(Item(i), 0)));
            log.Trim(keep, null, CreatedAt);
        }

        int kept = Math.Min(keep, appended);
        Assert.Equal(new InboxState(appended, appended - kept + 1), log.State);
        InboxEntry[] all = log.Read(0, int.MaxValue, ItemOf);
        Assert.Equal(kept, all.Length);
        for (int i = 0; i < all.Length; i++)
        {
            long seq = appended - kept + 1 + i;
            Assert.Equal(seq, all[i].Seq);
            Assert.Equal(T0.AddSeconds(seq), all[i].Item.CreatedAt);
        }

        // A page from the middle, across a segment boundary when there is one.
        long after = appended - (kept / 2) - 1;
        InboxEntry[] page = log.Read(after, 7, ItemOf);
        Assert.Equal(Enumerable.Range(1, Math.Min(7, (int)(appended - after))).Select(k => after + k), page.Select(e => e.Seq));
        Assert.All(page, e => Assert.Equal(T0.AddSeconds(e.Seq), e.Item.CreatedAt));
    }

    [Fact]
    public void Age_retention_drops_old_entries_but_never_the_newest()
    {
        var log = new InboxLog();
        for (int i = 1; i <= 600; i++)
        {
            log.Append(new InboxSlot(Item(i), 0));
        }

        log.Trim(10_000, T0.AddSeconds(400.5), CreatedAt);
        Assert.Equal(new InboxState(600, 401), log.State);

        log.Trim(10_000, T0.AddDays(1), CreatedAt);
        Assert.Equal(new InboxState(600, 600), log.State);
        Assert.Equal(600, Assert.Single(log.Read(0, 10, ItemOf)).Seq);
    }

    private static InboxItem Item(int i) => InboxItem.ForRead("g-1", i, T0.AddSeconds(i));

    private static DateTimeOffset CreatedAt(InboxSlot slot) => ((InboxItem)slot.Content).CreatedAt;

    private static InboxItem ItemOf(InboxSlot slot) => (InboxItem)slot.Content;
}
