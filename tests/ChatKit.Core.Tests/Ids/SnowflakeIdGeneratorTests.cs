using ChatKit.Ids;
using Microsoft.Extensions.Time.Testing;

namespace ChatKit.Tests.Ids;

/// <summary>DESIGN.md section 5: unique across threads, never backwards, also when the clock steps back.</summary>
public sealed class SnowflakeIdGeneratorTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_million_ids_from_four_threads_are_unique_and_increasing_per_thread()
    {
        var generator = new SnowflakeIdGenerator(7, TimeProvider.System);
        const int threads = 4;
        const int perThread = 250_000;
        long[][] ids = new long[threads][];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long[] mine = new long[perThread];
            for (int i = 0; i < perThread; i++)
            {
                mine[i] = generator.NextId();
            }

            ids[t] = mine;
        });

        foreach (long[] mine in ids)
        {
            for (int i = 1; i < mine.Length; i++)
            {
                Assert.True(mine[i] > mine[i - 1], $"id {i} went backwards");
            }
        }

        long[] all = [.. ids.SelectMany(x => x)];
        Array.Sort(all);
        for (int i = 1; i < all.Length; i++)
        {
            Assert.True(all[i] != all[i - 1], $"duplicate id {all[i]}");
        }

        Assert.All(new[] { all[0], all[^1] }, id => Assert.Equal(7, SnowflakeIdGenerator.GetWorkerId(id)));
    }

    [Fact]
    public void Ids_carry_the_time_and_the_worker()
    {
        var clock = new FakeTimeProvider(Now);
        var generator = new SnowflakeIdGenerator(1023, clock);

        long id = generator.NextId();

        Assert.Equal(Now, SnowflakeIdGenerator.GetTimestamp(id));
        Assert.Equal(1023, SnowflakeIdGenerator.GetWorkerId(id));
        Assert.True(id > 0);
        Assert.Equal(0, id & 0xFFF); // first id of the millisecond
    }

    [Fact]
    public void Ids_increase_with_the_clock()
    {
        var clock = new FakeTimeProvider(Now);
        var generator = new SnowflakeIdGenerator(3, clock);
        long previous = 0;
        for (int i = 0; i < 1000; i++)
        {
            long id = generator.NextId();
            Assert.True(id > previous);
            previous = id;
            clock.Advance(TimeSpan.FromMilliseconds(i % 3));
        }

        Assert.Equal(Now.AddMilliseconds(999), SnowflakeIdGenerator.GetTimestamp(previous));
    }

    [Fact]
    public void A_clock_stepping_back_never_repeats_or_goes_backwards()
    {
        var clock = new ManualClock(Now); // FakeTimeProvider refuses to go back
        var generator = new SnowflakeIdGenerator(5, clock);
        var seen = new HashSet<long>();
        long previous = 0;

        void Take(int n)
        {
            for (int i = 0; i < n; i++)
            {
                long id = generator.NextId();
                Assert.True(id > previous, "went backwards");
                Assert.True(seen.Add(id), "repeated");
                Assert.Equal(5, SnowflakeIdGenerator.GetWorkerId(id));
                previous = id;
            }
        }

        Take(100);
        clock.UtcNow = Now - TimeSpan.FromHours(1); // NTP step back
        Take(5000);
        Assert.True(SnowflakeIdGenerator.GetTimestamp(previous) >= Now);

        clock.UtcNow = Now + TimeSpan.FromSeconds(1); // the clock catches up: ids jump to it
        Take(1);
        Assert.Equal(Now + TimeSpan.FromSeconds(1), SnowflakeIdGenerator.GetTimestamp(previous));
    }

    [Fact]
    public void More_than_4096_ids_in_one_millisecond_borrow_from_the_next_without_repeating()
    {
        var clock = new FakeTimeProvider(Now);
        var generator = new SnowflakeIdGenerator(9, clock);

        long[] ids = [.. Enumerable.Range(0, 10_000).Select(_ => generator.NextId())];

        for (int i = 1; i < ids.Length; i++)
        {
            Assert.True(ids[i] > ids[i - 1]);
        }

        Assert.Equal(Now, SnowflakeIdGenerator.GetTimestamp(ids[4095]));
        Assert.Equal(Now.AddMilliseconds(1), SnowflakeIdGenerator.GetTimestamp(ids[4096]));
        Assert.Equal(0, ids[4096] & 0xFFF);
        Assert.All(ids, id => Assert.Equal(9, SnowflakeIdGenerator.GetWorkerId(id)));

        // When the real clock moves past the borrowed milliseconds, ids follow it again.
        clock.Advance(TimeSpan.FromMilliseconds(10));
        long next = generator.NextId();
        Assert.Equal(Now.AddMilliseconds(10), SnowflakeIdGenerator.GetTimestamp(next));
        Assert.True(next > ids[^1]);
    }

    [Fact]
    public void Different_workers_never_collide_in_the_same_millisecond()
    {
        var clock = new FakeTimeProvider(Now);
        var a = new SnowflakeIdGenerator(1, clock);
        var b = new SnowflakeIdGenerator(2, clock);

        long[] fromA = [.. Enumerable.Range(0, 100).Select(_ => a.NextId())];
        long[] fromB = [.. Enumerable.Range(0, 100).Select(_ => b.NextId())];

        Assert.Empty(fromA.Intersect(fromB));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1024)]
    public void Worker_ids_out_of_range_are_refused(int workerId)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SnowflakeIdGenerator(workerId, TimeProvider.System));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset UtcNow { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => UtcNow;
    }
}
