namespace ChatKit.Ids;

/// <summary>
/// Snowflake ids (DESIGN.md section 5): 41 bits of milliseconds since 2025-01-01 UTC, 10 bits of worker id,
/// 12 bits of sequence. Lock-free.
/// </summary>
/// <remarks>
/// The generator keeps one 53-bit counter, <c>milliseconds &lt;&lt; 12 | sequence</c>. Each id either jumps the
/// counter to the clock's current millisecond or, when the clock has not moved forward (same millisecond, the
/// sequence exhausted, or the clock stepped back), adds one to it. Adding one carries from the sequence into the
/// milliseconds, so the generator borrows from the next millisecond instead of waiting: ids never repeat and never
/// go backwards, and the clock catches up with the counter on its own.
/// </remarks>
public sealed class SnowflakeIdGenerator : IIdGenerator
{
    /// <summary>The id epoch: 2025-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The largest worker id.</summary>
    public const int MaxWorkerId = 1023;

    private const int SequenceBits = 12;
    private const int WorkerBits = 10;
    private readonly TimeProvider _clock;
    private readonly long _workerBits;
    private long _counter;

    /// <summary>Creates a generator for one worker.</summary>
    /// <param name="workerId">0–1023, unique among live nodes.</param>
    /// <param name="clock">The clock.</param>
    public SnowflakeIdGenerator(int workerId, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workerId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(workerId, MaxWorkerId);
        ArgumentNullException.ThrowIfNull(clock);
        WorkerId = workerId;
        _workerBits = (long)workerId << SequenceBits;
        _clock = clock;
    }

    /// <summary>This generator's worker id.</summary>
    public int WorkerId { get; }

    /// <inheritdoc />
    public long NextId()
    {
        long nowCounter = Math.Max(0, (_clock.GetUtcNow() - Epoch).Ticks / TimeSpan.TicksPerMillisecond) << SequenceBits;
        while (true)
        {
            long last = Volatile.Read(ref _counter);
            long next = nowCounter > last ? nowCounter : last + 1;
            if (Interlocked.CompareExchange(ref _counter, next, last) == last)
            {
                return Compose(next);
            }
        }
    }

    /// <summary>The time component of an id.</summary>
    /// <param name="id">An id from a <see cref="SnowflakeIdGenerator"/>.</param>
    public static DateTimeOffset GetTimestamp(long id) => Epoch.AddMilliseconds(id >> (SequenceBits + WorkerBits));

    /// <summary>The worker component of an id.</summary>
    /// <param name="id">An id from a <see cref="SnowflakeIdGenerator"/>.</param>
    public static int GetWorkerId(long id) => (int)((id >> SequenceBits) & MaxWorkerId);

    private long Compose(long counter)
    {
        long millis = counter >> SequenceBits;
        long sequence = counter & ((1L << SequenceBits) - 1);
        return (millis << (SequenceBits + WorkerBits)) | _workerBits | sequence;
    }
}
