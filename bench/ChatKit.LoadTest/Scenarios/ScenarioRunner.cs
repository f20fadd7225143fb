using ChatKit.LoadTest.Reporting;
using ChatKit.LoadTest.Servers;

namespace ChatKit.LoadTest.Scenarios;

/// <summary>Starts the servers for one target, runs one scenario against them, stops them.</summary>
internal static class ScenarioRunner
{
    public static bool IsRateScenario(string scenario) => scenario is "direct" or "group10" or "group100" or "devices3" or "twonode" or "churn";

    /// <param name="rate">A fixed rate to measure once, or null to search for the capacity.</param>
    public static async Task<Measurement> MeasureAsync(Target target, ScenarioOptions options, LaunchOptions launch, double? rate, double seconds, int round, double? hint, CancellationToken cancellationToken)
    {
        Console.WriteLine($"[{target.Name()} round {round}] {options.Scenario}: starting {options.Nodes} server node(s)");
        await using var deployment = await Deployment.StartAsync(target, options.Nodes, launch).ConfigureAwait(false);
        Console.WriteLine($"  server pid(s) {string.Join(",", deployment.ServerPids)}" + (deployment.RedisPid is { } r ? $", redis pid {r}" : ""));
        var label = $"{target.Name()} r{round}";
        switch (options.Scenario)
        {
            case "idle":
                {
                    var result = await IdleScenario.RunAsync(deployment, options, launch, label, cancellationToken).ConfigureAwait(false);
                    return new Measurement(target.Name(), options.Scenario, round, result.BytesPerConnection > 0 ? 1.0 / result.BytesPerConnection : 0, result.Headline, result);
                }

            case "storm":
                {
                    var result = await StormScenario.RunAsync(deployment, options, label, cancellationToken).ConfigureAwait(false);
                    return new Measurement(target.Name(), options.Scenario, round, result.CaughtUpSeconds > 0 ? 1.0 / result.CaughtUpSeconds : 0, result.Headline, result);
                }
        }

        await using IRateScenario scenario = options.Scenario == "churn"
            ? await ChurnScenario.CreateAsync(deployment, options, cancellationToken).ConfigureAwait(false)
            : await ThroughputScenario.CreateAsync(deployment, options, cancellationToken).ConfigureAwait(false);
        if (rate is { } fixedRate)
        {
            if (options.WarmupSeconds > 0)
            {
                var warm = await scenario.RunStepAsync(fixedRate, options.WarmupSeconds, cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"  [{label}] warmup   {warm.Line()}");
            }
            else
            {
                await scenario.RunStepAsync(Math.Max(10, fixedRate / 4), 2, cancellationToken).ConfigureAwait(false);
            }

            var step = await scenario.RunStepAsync(fixedRate, seconds, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"  [{label}] {step.Line()}");
            return new Measurement(target.Name(), options.Scenario, round, step.Passed ? step.DeliveredPerSecond : 0, step.Line(), step);
        }

        var capacity = await CapacitySearch.RunAsync(scenario, options, seconds, hint, label, cancellationToken).ConfigureAwait(false);
        var headline = capacity.Confirmed is { } c
            ? $"capacity {capacity.Capacity:N0} {scenario.Unit}, {c.DeliveredPerSecond:N0} deliveries/s, p50 {c.P50Ms:F2} ms, p99 {c.P99Ms:F2} ms, server {c.ServerCpuMicrosPerDelivery:F2} us CPU/delivery"
            : "no rate held the p99 bound";
        return new Measurement(target.Name(), options.Scenario, round, capacity.Capacity, headline, capacity);
    }
}
