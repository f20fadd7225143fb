namespace ChatKit.LoadTest.Scenarios;

/// <summary>Server memory held by idle connections.</summary>
internal sealed record IdleResult
{
    public int Requested { get; init; }
    public int Connected { get; init; }
    public int Failed { get; init; }
    public int Workers { get; init; }
    public double ConnectSeconds { get; init; }
    public long RssBeforeBytes { get; init; }
    public long RssAfterBytes { get; init; }
    public double BytesPerConnection { get; init; }
    public double ServerIdleCpuUtilization { get; init; }
    public string? FirstError { get; init; }

    public string Headline => $"{Connected:N0}/{Requested:N0} idle connections, {BytesPerConnection / 1024:F1} KiB per connection (RSS {RssBeforeBytes / 1048576.0:F0} -> {RssAfterBytes / 1048576.0:F0} MiB), idle server CPU {ServerIdleCpuUtilization * 100:F1}%"
        + (Failed > 0 ? $", {Failed} failed ({FirstError})" : "");
}
