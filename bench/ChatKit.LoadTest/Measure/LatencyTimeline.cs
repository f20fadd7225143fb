using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ChatKit.LoadTest.Measure;

/// <summary>
/// When in a step the slow deliveries happened: for each 100 ms of scheduled send time, how many deliveries and the
/// slowest one. A percentile says how many were late, this says when, so that a stall can be laid beside the server's
/// own log (maintenance, checkpoints, collections) by wall-clock time.
/// </summary>
internal sealed class LatencyTimeline
{
    private const int BucketMillis = 100;

    private readonly long _originTicks;
    private readonly DateTime _originUtc;
    private readonly long _bucketTicks = Stopwatch.Frequency * BucketMillis / 1000;
    private readonly long[] _counts;
    private readonly long[] _maxMicros;

    /// <param name="originTicks">The step's start (<see cref="Stopwatch"/> ticks).</param>
    /// <param name="seconds">The step's length; deliveries scheduled after it are not recorded.</param>
    public LatencyTimeline(long originTicks, double seconds)
    {
        _originTicks = originTicks;
        _originUtc = DateTime.UtcNow + Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), originTicks);
        int buckets = (int)Math.Ceiling(seconds * 1000 / BucketMillis) + 1;
        _counts = new long[buckets];
        _maxMicros = new long[buckets];
    }

    public void Record(long scheduledTicks, long micros)
    {
        long bucket = (scheduledTicks - _originTicks) / _bucketTicks;
        if (bucket < 0 || bucket >= _counts.Length)
        {
            return;
        }

        Interlocked.Increment(ref _counts[bucket]);
        long seen = Volatile.Read(ref _maxMicros[bucket]);
        while (micros > seen)
        {
            long previous = Interlocked.CompareExchange(ref _maxMicros[bucket], micros, seen);
            if (previous == seen)
            {
                break;
            }

            seen = previous;
        }
    }

    /// <summary>Writes <c>utc,deliveries,max_ms</c>, one line per 100 ms of scheduled time.</summary>
    public void WriteCsv(string path)
    {
        var csv = new StringBuilder("utc,deliveries,max_ms\n");
        for (int i = 0; i < _counts.Length; i++)
        {
            DateTime at = _originUtc.AddMilliseconds(i * BucketMillis);
            csv.Append(CultureInfo.InvariantCulture, $"{at:HH:mm:ss.fff},{_counts[i]},{_maxMicros[i] / 1000.0:F1}\n");
        }

        File.WriteAllText(path, csv.ToString());
    }
}
