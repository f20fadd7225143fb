namespace ChatKit.LoadTest.Scenarios;

/// <summary>One open-loop measurement at one offered rate.</summary>
internal sealed record StepResult
{
    public required string Target { get; init; }
    public required string Scenario { get; init; }
    public double Rate { get; init; }
    public double Seconds { get; init; }
    public long Sent { get; init; }
    public long Expected { get; init; }
    public long Delivered { get; init; }
    public double DeliveredPerSecond { get; init; }
    public long Stale { get; init; }
    public double P50Ms { get; init; }
    public double P90Ms { get; init; }
    public double P99Ms { get; init; }
    public double P999Ms { get; init; }
    public double MaxMs { get; init; }
    public double ServerCpuSeconds { get; init; }
    public double ServerCpuUtilization { get; init; }
    public double ServerCpuSecondsPerMillionDeliveries { get; init; }
    public double ServerCpuMicrosPerDelivery { get; init; }
    public double RedisCpuSeconds { get; init; }
    public long ServerRssBytes { get; init; }
    public double GeneratorCpuUtilization { get; init; }
    public double SenderMaxLagMs { get; init; }
    public int Errors { get; init; }
    public int OpenConnections { get; init; }
    public string? LastError { get; init; }
    public bool Passed { get; init; }

    public string Line() =>
        $"rate {Rate,9:N0}/s  delivered {DeliveredPerSecond,10:N0}/s ({(Expected == 0 ? 0 : 100.0 * Delivered / Expected):F1}%)  " +
        $"p50 {P50Ms,7:F2} ms  p99 {P99Ms,8:F2} ms  max {MaxMs,8:F1} ms  server cpu {ServerCpuUtilization * 100,3:F0}% {ServerCpuMicrosPerDelivery,6:F2} us/delivery  " +
        $"rss {ServerRssBytes / 1048576.0,6:F0} MiB  gen cpu {GeneratorCpuUtilization * 100,3:F0}% lag {SenderMaxLagMs:F0} ms" +
        (Errors > 0 ? $"  errors {Errors} ({LastError})" : "") + (Passed ? "  PASS" : "  FAIL");
}
