namespace ChatKit.Client.Tests;

public sealed class ReconnectPolicyTests
{
    [Fact]
    public void Delays_grow_exponentially_within_min_and_max_with_jitter()
    {
        var policy = new ChatReconnectPolicy { MinDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(2) };
        var random = new Random(42);

        for (int attempt = 0; attempt < 12; attempt++)
        {
            double cap = Math.Min(2000, 100 * Math.Pow(2, attempt + 1));
            TimeSpan[] delays = [.. Enumerable.Range(0, 200).Select(_ => policy.GetDelay(attempt, random))];

            Assert.All(delays, d => Assert.InRange(d.TotalMilliseconds, 100, cap));
            Assert.True(delays.Distinct().Count() > 150, "delays are jittered, not in lockstep");
            Assert.True(delays.Max().TotalMilliseconds > 100 + (0.8 * (cap - 100)), "the whole range is used");
        }
    }

    [Fact]
    public void Huge_attempt_numbers_stay_at_max()
    {
        var policy = new ChatReconnectPolicy { MinDelay = TimeSpan.FromMilliseconds(250), MaxDelay = TimeSpan.FromSeconds(30) };

        TimeSpan delay = policy.GetDelay(int.MaxValue, new Random(1));

        Assert.InRange(delay, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30));
    }
}
