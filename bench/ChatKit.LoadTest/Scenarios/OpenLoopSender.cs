using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ChatKit.LoadTest.Scenarios;

/// <summary>
/// Sends at a fixed rate on its own thread, message n due at start + n / rate, whatever the server does:
/// open loop. Each message carries its scheduled time, so a stalled server or generator shows up as
/// latency instead of silently slowing the sender (no coordinated omission).
/// </summary>
internal static partial class OpenLoopSender
{
    /// <summary>Runs for <paramref name="seconds"/> and returns how many messages were sent and the worst lag behind schedule.</summary>
    public static (long Sent, double MaxLagMs) Run(double rate, double seconds, long startTicks, Action<long, long> send, CancellationToken cancellationToken)
    {
        var total = (long)(rate * seconds);
        var ticksPerMessage = Stopwatch.Frequency / rate;
        long n = 0;
        long maxLag = 0;
        while (n < total && !cancellationToken.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            var due = Math.Min(total, (long)((now - startTicks) / ticksPerMessage) + 1);
            if (n < due)
            {
                maxLag = Math.Max(maxLag, now - (startTicks + (long)(n * ticksPerMessage)));
            }

            for (; n < due; n++)
            {
                send(n, startTicks + (long)(n * ticksPerMessage));
            }

            var next = startTicks + (long)(n * ticksPerMessage);
            var waitMicros = (next - Stopwatch.GetTimestamp()) * 1_000_000 / Stopwatch.Frequency;
            if (waitMicros > 0)
            {
                // usleep, not Thread.Sleep: a millisecond of sleep granularity would add up to 1 ms of latency to every message.
                _ = USleep((uint)Math.Clamp(waitMicros, 20, 2000));
            }
        }

        return (n, maxLag * 1000.0 / Stopwatch.Frequency);
    }

    [LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int USleep(uint microseconds);
}
