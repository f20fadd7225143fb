using System.Diagnostics;
using System.Globalization;
using ChatKit.LoadTest.Cli;
using ChatKit.LoadTest.Measure;
using ChatKit.LoadTest.Reporting;
using ChatKit.LoadTest.Scenarios;
using ChatKit.LoadTest.Servers;

namespace ChatKit.LoadTest;

internal static class Program
{
    private const string PinnedVariable = "CHATKIT_LOADTEST_PINNED";

    public static async Task<int> Main(string[] args)
    {
        try
        {
            var cl = new CommandLine(args);
            switch (cl.Command)
            {
                case "run":
                case "compare":
                    return await RunOrCompareAsync(cl).ConfigureAwait(false);
                case "idle-worker":
                    return await IdleWorker.RunAsync(cl).ConfigureAwait(false);
                case "probe":
                    Console.WriteLine(HostProbe.TimeWork().ToString("F3", CultureInfo.InvariantCulture));
                    return 0;
                default:
                    Console.WriteLine(Help);
                    return cl.Command is "help" or "--help" ? 0 : 2;
            }
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }
    }

    private static async Task<int> RunOrCompareAsync(CommandLine cl)
    {
        var compare = cl.Command == "compare";
        double? rate = cl.Get("rate") is { } r ? double.Parse(r, CultureInfo.InvariantCulture) : null;

        // A side-by-side comparison at a fixed rate compares CPU per delivery, which means nothing until JIT tiering
        // and the collector's budgets have settled: it warms up at the rate itself unless told otherwise.
        var cpuCompare = compare && rate is not null;
        var options = ScenarioOptions.From(cl, defaultWarmupSeconds: cpuCompare ? 20 : 0);
        var targets = compare
            ? new[] { TargetNames.Parse(cl.Get("target", "chatkit")), TargetNames.Parse(cl.Get("baseline", "signalr")) }
            : new[] { TargetNames.Parse(cl.Get("target", "chatkit")) };
        var serverCpus = cl.Get("server-cpus", "0");
        var generatorCpus = cl.Get("generator-cpus", "1");
        var noPin = cl.Flag("no-pin");
        var noBuild = cl.Flag("no-build");
        int? nice = cl.Get("nice") is { } niceText ? int.Parse(niceText, CultureInfo.InvariantCulture) : null;
        var url = cl.Get("url");
        var launch = new LaunchOptions
        {
            ServerCpus = noPin ? null : serverCpus,
            Nice = nice,
            ChatKitStorage = cl.Get("storage", "InMemory"),
            ChatKitArgs = cl.GetAll("chatkit-arg"),
            SignalRUserDelivery = cl.Get("signalr-user-delivery", "user"),
            SocketIoAcknowledged = cl.Flag("socketio-acked"),
            ExternalUrl = url is null ? null : new Uri(url),
            ExternalPid = cl.Get("server-pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : null,
            ChatKitPath = cl.Get("chatkit-path", "/chatkit"),
            ChatKitListener = cl.Flag("chatkit-listener"),
            ChatKitSocketListener = cl.Flag("chatkit-socket-listener"),
            ChatKitWebSocketBase = cl.Get("chatkit-ws-url") is { } chatKitWs ? new Uri(chatKitWs) : null,
        };
        var rounds = compare ? cl.Get("rounds", 3) : 1;
        var seconds = cl.Get("seconds", compare ? 20.0 : 10.0);
        if (cl.Flag("capacity"))
        {
            rate = null;
        }
        else if (!compare)
        {
            rate ??= options.StartRate;
        }

        var outPath = cl.Get("out");
        cl.ThrowOnUnknown();

        if (!noBuild && url is null)
        {
            Builder.Build(targets);
        }

        // The generator runs pinned to its own CPU: re-run this command under taskset, once.
        if (!noPin && Environment.GetEnvironmentVariable(PinnedVariable) is null)
        {
            return await ReExecPinnedAsync(generatorCpus, nice).ConfigureAwait(false);
        }

        var commandLine = "dotnet run -c Release --project bench/ChatKit.LoadTest -- " + string.Join(' ', cl.Raw.Where(a => a != "--no-build"));
        var measurements = new List<Measurement>();
        var hints = new Dictionary<Target, double>();
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        for (var round = 1; round <= rounds; round++)
        {
            foreach (var target in targets)
            {
                try
                {
                    // Only where this command starts the servers: a server already running would share the probe's CPU.
                    var probe = compare && url is null;
                    var before = probe ? await HostProbe.MeasureOnAsync(launch.ServerCpus, cts.Token).ConfigureAwait(false) : null;
                    var m = await ScenarioRunner.MeasureAsync(target, options, launch, rate, seconds, round, hints.TryGetValue(target, out var h) ? h : null, cts.Token).ConfigureAwait(false);
                    var after = probe ? await HostProbe.MeasureOnAsync(launch.ServerCpus, cts.Token).ConfigureAwait(false) : null;
                    m = m with { ProbeBeforeMs = before, ProbeAfterMs = after };
                    if (cpuCompare && m.Detail is StepResult step)
                    {
                        m = m with { Score = DeliveriesPerCpuSecond(step) };
                    }

                    measurements.Add(m);
                    if (ScenarioRunner.IsRateScenario(options.Scenario) && m.Score > 0)
                    {
                        hints[target] = m.Score;
                    }

                    Console.WriteLine($"[{target.Name()} round {round}] {m.Headline}{ProbeText(m)}");
                }
                catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or TimeoutException or IOException or System.Net.WebSockets.WebSocketException or HttpRequestException)
                {
                    Console.WriteLine($"[{target.Name()} round {round}] failed: {ex.Message}");
                    measurements.Add(new Measurement(target.Name(), options.Scenario, round, double.NaN, "failed: " + ex.Message, ex.Message));
                }
            }
        }

        string? ratioLine = null;
        string? likeSpeedLine = null;
        var ratioValid = false;
        if (compare)
        {
            var ratios = Enumerable.Range(1, rounds).Select(round =>
            {
                var a = measurements.FirstOrDefault(m => m.Round == round && m.Target == targets[0].Name())?.Score ?? double.NaN;
                var b = measurements.FirstOrDefault(m => m.Round == round && m.Target == targets[1].Name())?.Score ?? double.NaN;
                return b > 0 ? a / b : double.NaN;
            }).ToList();
            var measured = cpuCompare ? string.Create(CultureInfo.InvariantCulture, $"{options.Scenario}-cpu@{rate}") : options.Scenario;
            ratioLine = RatioLine(measured, targets[0].Name(), targets[1].Name(), ratios);
            ratioValid = ratios.Any(double.IsFinite);
            likeSpeedLine = LikeSpeedLine(measurements, ratios);
        }

        var (json, md) = ResultWriter.Write(outPath, commandLine, options.Scenario, measurements, ratioLine, likeSpeedLine);
        Console.WriteLine($"results: {json}");
        Console.WriteLine($"table:   {md}");
        var table = File.ReadAllText(md).Replace("`" + ratioLine + "`", "", StringComparison.Ordinal);
        Console.WriteLine((likeSpeedLine is null ? table : table.Replace(likeSpeedLine, "", StringComparison.Ordinal)).TrimEnd());
        if (ratioLine is not null)
        {
            if (likeSpeedLine is not null)
            {
                Console.WriteLine(likeSpeedLine);
            }

            Console.WriteLine(ratioLine);
            return ratioValid ? 0 : 1;
        }

        return measurements.All(m => !double.IsNaN(m.Score)) ? 0 : 1;
    }

    /// <summary>
    /// The score of a fixed-rate step in a CPU comparison: deliveries per second of server CPU, so that the ratio of
    /// two scores is the baseline's CPU per delivery over the target's. A step the server did not hold (p99 over the
    /// bound, deliveries missing, errors) scores 0: its CPU per delivery is not that of the load asked for.
    /// </summary>
    private static double DeliveriesPerCpuSecond(StepResult step) =>
        step.Passed && step.ServerCpuMicrosPerDelivery > 0 ? 1e6 / step.ServerCpuMicrosPerDelivery : 0;

    private static string ProbeText(Measurement m) =>
        m.ProbeBeforeMs is { } before && m.ProbeAfterMs is { } after
            ? string.Create(CultureInfo.InvariantCulture, $"  host probe {before:F1}/{after:F1} ms")
            : "";

    /// <summary>
    /// The ratio over the rounds that ran at a like host speed (see <see cref="HostProbe"/>), printed before the
    /// ratio line; <see langword="null"/> without probes.
    /// </summary>
    private static string? LikeSpeedLine(IReadOnlyList<Measurement> measurements, IReadOnlyList<double> ratios)
    {
        if (measurements.All(m => m.ProbeBeforeMs is null))
        {
            return null;
        }

        var like = HostProbe.LikeSpeedRounds(measurements.Select(m => (m.Round, m.ProbeBeforeMs, m.ProbeAfterMs)));
        var probes = measurements.SelectMany(m => new[] { m.ProbeBeforeMs, m.ProbeAfterMs }).OfType<double>().ToList();
        var valid = FiniteSorted(like.Select(r => ratios[r - 1]));
        var spread = string.Create(CultureInfo.InvariantCulture, $"host probes {probes.Min():F1}–{probes.Max():F1} ms");
        if (valid.Count == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"like host speed: no round ({spread}; a round counts when its probes are within {HostProbe.LikeSpeedFactor - 1:P0})");
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"like host speed: rounds {string.Join(',', like)}, ratio {Median(valid):F2} (min {valid[0]:F2}, max {valid[^1]:F2}) ({spread})");
    }

    /// <summary>The ratios that were measured (a round that failed or whose baseline scored 0 gives none), ascending.</summary>
    private static List<double> FiniteSorted(IEnumerable<double> ratios) => ratios.Where(double.IsFinite).Order().ToList();

    /// <summary>The median of values sorted in ascending order.</summary>
    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

    public static string RatioLine(string scenario, string a, string b, IReadOnlyList<double> ratios)
    {
        var valid = FiniteSorted(ratios);
        if (valid.Count == 0)
        {
            return $"ratio {scenario} {a}/{b} nan (min nan, max nan)";
        }

        return string.Create(CultureInfo.InvariantCulture, $"ratio {scenario} {a}/{b} {Median(valid):F2} (min {valid[0]:F2}, max {valid[^1]:F2})");
    }

    private static async Task<int> ReExecPinnedAsync(string cpus, int? nice)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's path.");
        var start = new ProcessStartInfo(nice is null ? "taskset" : "nice") { UseShellExecute = false };
        if (nice is { } n)
        {
            start.ArgumentList.Add("-n");
            start.ArgumentList.Add(n.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add("taskset");
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(cpus);
        start.ArgumentList.Add(self);
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Program).Assembly.Location);
        }

        foreach (var a in Environment.GetCommandLineArgs().Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        start.ArgumentList.Add("--no-build");
        start.Environment[PinnedVariable] = "1";

        // The generator shares its one CPU between many connections: thread-pool spinning would only burn it.
        start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start taskset.");
        Console.CancelKeyPress += (_, e) => e.Cancel = true;
        await child.WaitForExitAsync().ConfigureAwait(false);
        return child.ExitCode;
    }

    private const string Help = """
        ChatKit load generator: open-loop load, latency from the scheduled send time (HdrHistogram),
        server CPU and memory from /proc, the same client code for every server.

          compare --scenario S --baseline signalr|socketio|relay [--target chatkit] [--rounds 3] [--seconds 20]
              Builds and starts the servers, finds each one's capacity (or idle memory, or catch-up time)
              alternately for several rounds, ends with: ratio S A/B MEDIAN (min MIN, max MAX); above 1 = A better.
              With --rate R: each server at the same fixed rate (--warmup 20 by default) and the ratio of server CPU
              per delivery, B's over A's: ratio S-cpu@R A/B ... (a server that does not hold the rate scores 0).
          run --target chatkit|signalr|socketio|relay --scenario S [--rate R] [--seconds 10] [--capacity]
              One measurement at a fixed rate (or a capacity search with --capacity).
              --url http://127.0.0.1:PORT [--server-pid PID] measures a server that is already running.

        Scenarios: idle, direct, group10, group100, devices3, churn, storm, twonode.
        Options: --users N  --groups N --group-size N  --body 100  --p99-ms 50  --step-seconds 4  --warmup S (run)  --warmup-max 60  --warmup-min 0 (capacity)  --timeline CSV (last step: per 100 ms, deliveries and slowest)  --start-rate R
                 --max-rate R  --connections 10000 --per-worker 5000 --quiet 10 (idle)  --churners 1000 --watchers 20
                 --hold 1 (churn)  --devices 2000 --backlog 100 (storm)  --server-cpus 0 --generator-cpus 1 --no-pin --nice N
                 --signalr-user-delivery user|group  --socketio-acked (1:1 kept and acknowledged, as ChatKit's send)  --storage InMemory --chatkit-arg=--ChatKit:Key=Value (repeatable)  --out PATH  --no-build
                 --chatkit-listener (ChatKit's WebSockets on ListenOptions.UseChatKit)  --chatkit-socket-listener (on AddSocketListener)
                 --chatkit-ws-url URL (with --url)
        A compare that starts its servers pinned times a fixed piece of work (loopback TCP round trips) on the server CPUs
        before and after each measurement (host probe, ms) and prints, before the ratio line, the ratio over the rounds
        whose probes agree within 10 % (like host speed).
        Results: artifacts/bench/*.json and *.md; server logs in artifacts/bench/logs.
        """;
}
