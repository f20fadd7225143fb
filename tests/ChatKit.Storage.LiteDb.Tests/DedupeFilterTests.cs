using ChatKit.Storage.LiteDb.Internal;
using Xunit.Abstractions;

namespace ChatKit.Storage.LiteDb.Tests;

public sealed class DedupeFilterTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    [Fact]
    public void Before_it_is_loaded_every_key_may_have_been_seen()
    {
        var filter = new DedupeFilter();

        Assert.True(filter.MightContain("alice|d:alice:bob|c1"));
    }

    [Fact]
    public void Keys_of_the_window_are_always_found_while_new_generations_start_and_old_ones_go()
    {
        var filter = new DedupeFilter();
        filter.Reset(0);
        var keys = new List<(string Key, DateTimeOffset At)>();

        // 300,000 keys over 30 minutes (one every 6 ms): several generations fill up and close, and the oldest leave
        // the 10-minute window.
        for (int i = 0; i < 300_000; i++)
        {
            DateTimeOffset at = Start.AddMilliseconds(i * 6);
            string key = "u" + (i % 1000) + "|ch|m" + i;
            filter.Add(key, at, at - Window);
            keys.Add((key, at));
        }

        DateTimeOffset horizon = keys[^1].At - Window;
        int missed = keys.Count(k => k.At >= horizon && !filter.MightContain(k.Key));
        Assert.Equal(0, missed);
        Assert.InRange(filter.GenerationCount, 2, 4);

        // Keys older than the window are mostly forgotten (whole generations went), which is what bounds the memory.
        int oldKept = keys.Take(50_000).Count(k => filter.MightContain(k.Key));
        Assert.True(oldKept < 1_000, $"{oldKept} of 50,000 keys from outside the window are still in the filter");
    }

    [Fact]
    public void Keys_never_added_are_rarely_reported()
    {
        var filter = new DedupeFilter();
        filter.Reset(100_000);
        for (int i = 0; i < 100_000; i++)
        {
            filter.Add("seen-" + i, Start, DateTimeOffset.MinValue);
        }

        int falsePositives = Enumerable.Range(0, 100_000).Count(i => filter.MightContain("new-" + i));

        Assert.True(falsePositives < 1_000, $"{falsePositives} false positives in 100,000");
    }

    [Fact]
    public void Keys_never_added_are_rarely_taken_for_seen_ones_with_every_generation_alive()
    {
        // Every false positive costs the writer a walk through a channel's history (which waits for a checkpoint in
        // progress, and every send behind it), and a send is checked against every live generation: a full window of
        // them must answer wrongly for well under one key in 100,000 (12 bits and 8 probes per key answered wrongly for
        // one in a hundred, 20 bits and 14 probes for about 40 in 200,000).
        var filter = new DedupeFilter();
        filter.Reset(0);
        for (int i = 0; i < 400_000; i++)
        {
            DateTimeOffset at = Start.AddMilliseconds(i);
            filter.Add("u" + (i % 1000) + "|ch|m" + i, at, at - Window);
        }

        Assert.True(filter.GenerationCount >= 3, $"{filter.GenerationCount} generations");
        int wrong = 0;
        for (int i = 0; i < 1_000_000; i++)
        {
            if (filter.MightContain("u" + (i % 1000) + "|ch|other" + i))
            {
                wrong++;
            }
        }

        output.WriteLine($"{wrong} of 1,000,000 keys never added were taken for seen ones.");
        Assert.True(wrong < 10, $"{wrong} of 1,000,000 keys never added were taken for seen ones.");
    }
}
