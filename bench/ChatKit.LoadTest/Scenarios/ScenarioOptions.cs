using ChatKit.LoadTest.Cli;

namespace ChatKit.LoadTest.Scenarios;

/// <summary>Sizes and bounds of a scenario, with per-scenario defaults.</summary>
internal sealed class ScenarioOptions
{
    public required string Scenario { get; init; }
    public int Users { get; init; }
    public int Groups { get; init; }
    public int GroupSize { get; init; }
    public int Devices { get; init; } = 1;
    public int Nodes { get; init; } = 1;
    public int BodyBytes { get; init; } = 100;
    public double P99BoundMs { get; init; } = 50;
    public double StepSeconds { get; init; } = 4;

    /// <summary>
    /// Fixed-rate runs only: seconds of warm-up at the measured rate before the measurement (JIT tiering, pools,
    /// the collector's budgets), not counted. 0: the default short warm-up, 2 s at a quarter of the rate.
    /// </summary>
    public double WarmupSeconds { get; init; }

    /// <summary>Capacity searches only: the longest warm-up, in seconds, while the server's CPU per delivery still changes.</summary>
    public double WarmupMaxSeconds { get; init; } = 60;

    /// <summary>
    /// Capacity searches only: the shortest warm-up, in seconds, however early the CPU per delivery agrees (a server
    /// whose hot path is still in instrumented code can hold a steady, slow CPU per delivery for tens of seconds).
    /// </summary>
    public double WarmupMinSeconds { get; init; }

    /// <summary>A CSV file for the last step's latency over time (<see cref="Measure.LatencyTimeline"/>), or null.</summary>
    public string? TimelinePath { get; init; }

    public double StartRate { get; init; }
    public double MaxRate { get; init; } = 1_000_000;
    public int Connections { get; init; }
    public int PerWorker { get; init; } = 5000;
    public double QuietSeconds { get; init; } = 10;
    public int Churners { get; init; }
    public int Watchers { get; init; }
    public double HoldSeconds { get; init; } = 1;
    public int StormDevices { get; init; }
    public int Backlog { get; init; }
    public int ConnectConcurrency { get; init; } = 200;

    public static readonly string[] Names = ["idle", "direct", "group10", "group100", "devices3", "churn", "storm", "twonode"];

    /// <param name="cl">The command line.</param>
    /// <param name="defaultWarmupSeconds">The fixed-rate warm-up when <c>--warmup</c> is not given.</param>
    public static ScenarioOptions From(CommandLine cl, double defaultWarmupSeconds = 0)
    {
        var scenario = cl.Get("scenario", "direct").ToLowerInvariant();
        if (!Names.Contains(scenario))
        {
            throw new ArgumentException($"Unknown scenario '{scenario}': use one of {string.Join(", ", Names)}.");
        }

        var (users, groups, size, devices, nodes, start) = scenario switch
        {
            "group10" => (0, 100, 10, 1, 1, 500.0),
            "group100" => (0, 10, 100, 1, 1, 50.0),
            "devices3" => (600, 0, 0, 3, 1, 1000.0),
            "twonode" => (2000, 0, 0, 1, 2, 1000.0),
            "churn" => (0, 0, 0, 1, 1, 50.0),
            _ => (2000, 0, 0, 1, 1, 2000.0),
        };

        return new ScenarioOptions
        {
            Scenario = scenario,
            Users = cl.Get("users", users),
            Groups = cl.Get("groups", groups),
            GroupSize = cl.Get("group-size", size),
            Devices = devices,
            Nodes = cl.Get("nodes", nodes),
            BodyBytes = cl.Get("body", 100),
            P99BoundMs = cl.Get("p99-ms", 50.0),
            StepSeconds = cl.Get("step-seconds", 4.0),
            WarmupSeconds = cl.Get("warmup", defaultWarmupSeconds),
            WarmupMaxSeconds = cl.Get("warmup-max", 60.0),
            WarmupMinSeconds = cl.Get("warmup-min", 0.0),
            TimelinePath = cl.Get("timeline"),
            StartRate = cl.Get("start-rate", start),
            MaxRate = cl.Get("max-rate", 1_000_000.0),
            Connections = cl.Get("connections", 10_000),
            PerWorker = cl.Get("per-worker", 5000),
            QuietSeconds = cl.Get("quiet", 10.0),
            Churners = cl.Get("churners", 1000),
            Watchers = cl.Get("watchers", 20),
            HoldSeconds = cl.Get("hold", 1.0),
            StormDevices = cl.Get("devices", 2000),
            Backlog = cl.Get("backlog", 100),
            ConnectConcurrency = cl.Get("connect-concurrency", 200),
        };
    }
}
