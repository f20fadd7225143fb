namespace ChatKit.LoadTest.Reporting;

/// <summary>
/// One target measured once in one scenario. <see cref="Score"/> is "higher is better" whatever the
/// scenario (capacity; 1 / bytes per idle connection; 1 / seconds to catch up), so a ratio of two
/// scores above 1 always means the first target is better.
/// </summary>
internal sealed record Measurement(string Target, string Scenario, int Round, double Score, string Headline, object Detail);
