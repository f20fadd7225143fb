using System.Diagnostics;
using HdrHistogram;

namespace ChatKit.LoadTest.Measure;

/// <summary>
/// Latency from the scheduled send time to the receipt, in microseconds, into an HdrHistogram.
/// A step swaps in a fresh histogram; deliveries scheduled before the step began (late arrivals
/// of the previous step) are counted as stale, not recorded.
/// </summary>
internal sealed class LatencyRecorder
{
    public const long MaxMicros = 120_000_000;

    private LongConcurrentHistogram _histogram = NewHistogram();
    private long _stepStart;
    private long _delivered;
    private long _stale;
    private LatencyTimeline? _timeline;

    public long Delivered => Interlocked.Read(ref _delivered);

    public long Stale => Interlocked.Read(ref _stale);

    public static LongConcurrentHistogram NewHistogram() => new(1, MaxMicros, 3);

    public static long ToMicros(long ticks) => ticks * 1_000_000 / Stopwatch.Frequency;

    public void Record(long scheduledTicks, long nowTicks)
    {
        if (scheduledTicks < Volatile.Read(ref _stepStart))
        {
            Interlocked.Increment(ref _stale);
            return;
        }

        Interlocked.Increment(ref _delivered);
        var micros = Math.Clamp(ToMicros(nowTicks - scheduledTicks), 1, MaxMicros);
        Volatile.Read(ref _histogram).RecordValue(micros);
        Volatile.Read(ref _timeline)?.Record(scheduledTicks, micros);
    }

    /// <summary>Starts a new step: a fresh histogram, counters at zero, earlier schedules ignored.</summary>
    /// <param name="stepStartTicks">The step's start; deliveries scheduled before it are stale.</param>
    /// <param name="timeline">Where to record when the step's deliveries were slow, if anywhere.</param>
    public void BeginStep(long stepStartTicks, LatencyTimeline? timeline = null)
    {
        Volatile.Write(ref _timeline, timeline);
        Volatile.Write(ref _stepStart, stepStartTicks);
        Volatile.Write(ref _histogram, NewHistogram());
        Interlocked.Exchange(ref _delivered, 0);
        Interlocked.Exchange(ref _stale, 0);
    }

    public HistogramBase Snapshot() => Volatile.Read(ref _histogram).Copy();
}
