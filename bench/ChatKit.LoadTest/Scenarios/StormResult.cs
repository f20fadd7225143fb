namespace ChatKit.LoadTest.Scenarios;

/// <summary>How long N devices, each M messages behind, took to catch up when they all reconnected at once.</summary>
internal sealed record StormResult
{
    public int Devices { get; init; }
    public int Backlog { get; init; }
    public double FillSeconds { get; init; }
    public double FillRate { get; init; }
    public double CaughtUpSeconds { get; init; }
    public int DevicesCaughtUp { get; init; }
    public double DeviceP50Ms { get; init; }
    public double DeviceP99Ms { get; init; }
    public double DeliveriesPerSecond { get; init; }
    public double ServerCpuSeconds { get; init; }
    public long RssBeforeBytes { get; init; }
    public long RssPeakBytes { get; init; }
    public int Failed { get; init; }
    public string? FirstError { get; init; }

    public string Headline => $"{DevicesCaughtUp:N0}/{Devices:N0} devices x {Backlog} missed messages caught up in {CaughtUpSeconds:F2} s " +
        $"(device p50 {DeviceP50Ms:F0} ms, p99 {DeviceP99Ms:F0} ms, {DeliveriesPerSecond:N0} msg/s), server CPU {ServerCpuSeconds:F1} s, " +
        $"RSS {RssBeforeBytes / 1048576.0:F0} -> peak {RssPeakBytes / 1048576.0:F0} MiB; fill {FillRate:N0} msg/s" + (Failed > 0 ? $", {Failed} failed ({FirstError})" : "");
}
