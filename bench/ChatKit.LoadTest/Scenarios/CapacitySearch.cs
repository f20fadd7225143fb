namespace ChatKit.LoadTest.Scenarios;

/// <summary>
/// Finds the highest offered rate held with p99 within the bound: doubling from the start rate until
/// a step fails, a few geometric bisections between the last pass and the first failure, then a
/// confirmation run of the full duration (stepping down 10% while it fails, at most
/// <see cref="ConfirmAttempts"/> times).
/// </summary>
internal static class CapacitySearch
{
    /// <summary>
    /// Down to 0.9^5, about 0.59 of the rate the short steps found. With three attempts (down to 0.81) a server whose
    /// 4-second steps passed but whose 10-second windows each held one stall (a checkpoint, a burst of collections)
    /// came out at capacity 0, although it had held lower rates in the ramp: that round then said nothing.
    /// </summary>
    private const int ConfirmAttempts = 6;

    private const double WarmupStepSeconds = 3;
    private const double WarmupTolerance = 0.05;

    /// <summary>
    /// Warms the server up (JIT tiering, pools, the collector's budgets, the connections' first frames), not counted:
    /// steps of <see cref="WarmupStepSeconds"/> at half the rate the ramp starts at, until the server's CPU per
    /// delivery of two steps in a row agree within <see cref="WarmupTolerance"/> (at most <c>--warmup-max</c>
    /// seconds). A fixed short warm-up measured servers with more code to compile (ChatKit on LiteDB: about 40 s of
    /// tiering at 6,000 msg/s, against about 15 s on the in-memory store) while they were still compiling it, and a
    /// ramp step that failed then capped the whole search.
    /// </summary>
    private static async Task WarmUpAsync(Func<double, double, string, Task<StepResult>> step, double rate, ScenarioOptions options)
    {
        double previous = double.NaN;
        for (double spent = 0; spent < options.WarmupMaxSeconds; spent += WarmupStepSeconds)
        {
            StepResult result = await step(rate, WarmupStepSeconds, "warmup").ConfigureAwait(false);
            double cpu = result.ServerCpuMicrosPerDelivery;
            if (cpu <= 0 || (spent > 0 && spent + WarmupStepSeconds >= options.WarmupMinSeconds && Math.Abs(cpu - previous) <= WarmupTolerance * previous))
            {
                // Settled, or the server's CPU cannot be read (nothing to wait for).
                return;
            }

            previous = cpu;
        }
    }

    public static async Task<CapacityResult> RunAsync(IRateScenario scenario, ScenarioOptions options, double confirmSeconds, double? hint, string label, CancellationToken cancellationToken)
    {
        var steps = new List<StepResult>();

        async Task<StepResult> Step(double rate, double seconds, string phase)
        {
            var step = await scenario.RunStepAsync(Math.Round(rate), seconds, cancellationToken).ConfigureAwait(false);
            steps.Add(step);
            Console.WriteLine($"  [{label}] {phase,-8} {step.Line()}");
            if (!step.Passed && phase != "warmup" && step.SenderMaxLagMs > options.P99BoundMs / 2)
            {
                // The generator itself was held up (other work on the machine): that says nothing about the server; try once more.
                step = await scenario.RunStepAsync(Math.Round(rate), seconds, cancellationToken).ConfigureAwait(false);
                steps.Add(step);
                Console.WriteLine($"  [{label}] {"retry",-8} {step.Line()}");
            }

            return step;
        }

        await WarmUpAsync(Step, Math.Max(10, (hint ?? options.StartRate) / 2), options).ConfigureAwait(false);

        double pass = 0;
        var fail = double.PositiveInfinity;
        var rate = hint is { } h ? h * 0.7 : options.StartRate;
        var factor = hint is null ? 2.0 : 1.3;
        while (double.IsPositiveInfinity(fail) && rate <= options.MaxRate)
        {
            var step = await Step(rate, options.StepSeconds, "ramp").ConfigureAwait(false);
            if (step.Passed)
            {
                pass = rate;
                rate *= factor;
            }
            else
            {
                fail = rate;
            }
        }

        for (var tries = 0; pass == 0 && tries < 4; tries++)
        {
            rate = fail / 3;
            var step = await Step(rate, options.StepSeconds, "down").ConfigureAwait(false);
            if (step.Passed)
            {
                pass = rate;
            }
            else
            {
                fail = rate;
            }
        }

        for (var i = 0; i < 4 && pass > 0 && !double.IsPositiveInfinity(fail) && fail / pass > 1.08; i++)
        {
            var mid = Math.Sqrt(pass * fail);
            var step = await Step(mid, options.StepSeconds, "bisect").ConfigureAwait(false);
            if (step.Passed)
            {
                pass = mid;
            }
            else
            {
                fail = mid;
            }
        }

        StepResult? confirmed = null;
        for (var attempt = 0; attempt < ConfirmAttempts && pass > 0; attempt++)
        {
            var step = await Step(pass, confirmSeconds, "confirm").ConfigureAwait(false);
            if (step.Passed)
            {
                confirmed = step;
                break;
            }

            pass *= 0.9;
        }

        var capacity = confirmed?.Rate ?? 0;
        Console.WriteLine($"  [{label}] capacity {capacity:N0} {scenario.Unit}" + (confirmed is null ? "" : $" ({confirmed.DeliveredPerSecond:N0} deliveries/s, p99 {confirmed.P99Ms:F2} ms, server {confirmed.ServerCpuMicrosPerDelivery:F2} us CPU per delivery)"));
        return new CapacityResult(capacity, confirmed, steps);
    }
}

/// <summary>The outcome of one capacity search.</summary>
internal sealed record CapacityResult(double Capacity, StepResult? Confirmed, IReadOnlyList<StepResult> Steps);
