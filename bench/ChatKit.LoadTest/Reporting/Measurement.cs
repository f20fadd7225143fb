namespace ChatKit.LoadTest.Reporting;

/// <summary>
/// One target measured once in one scenario. <see cref="Score"/> is "higher is better" whatever the
/// scenario (capacity; 1 / bytes per idle connection; 1 / seconds to catch up), so a ratio of two
/// scores above 1 always means the first target is better.
/// </summary>
internal sealed record Measurement(string Target, string Scenario, int Round, double Score, string Headline, object Detail)
{
    /// <summary>The host probe on the server's CPUs just before the measurement, in ms (see <c>HostProbe</c>).</summary>
    public double? ProbeBeforeMs { get; init; }

    /// <summary>The host probe just after it.</summary>
    public double? ProbeAfterMs { get; init; }
}
