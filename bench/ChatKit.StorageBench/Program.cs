// Send throughput through IChatEngine: ChatKit on LiteDB against ChatKit on the in-memory store, side by side in one
// run. For each scenario and round, both stores run the same closed-loop load (fixed concurrent senders, fixed
// duration) in alternating order on a fresh host (and a fresh LiteDB file); the figures are medians over rounds.
//
//   dotnet run -c Release --project bench/ChatKit.StorageBench -- [--rounds 5] [--seconds 5] [--senders 64]
//       [--retention 1000] [--scenarios direct,group10,group100] [--dir /tmp] [--stores InMemory,LiteDb]
// (one store alone gives no ratio; it is for profiling)
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ChatKit;
using ChatKit.Hosting;
using ChatKit.Messaging;
using ChatKit.Storage.LiteDb.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var settings = Settings.Parse(args);
Console.WriteLine($"# ChatKit storage bench: {settings}");
Console.WriteLine($"# {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");

var results = new Dictionary<(string Scenario, string Store), List<double>>();
foreach (string scenario in settings.Scenarios)
{
    for (int round = 0; round < settings.Rounds; round++)
    {
        // Alternate which store goes first, so that drift of a shared machine does not favour one.
        string[] order = round % 2 == 0 ? ["InMemory", "LiteDb"] : ["LiteDb", "InMemory"];
        foreach (string store in order.Where(settings.Stores.Contains))
        {
            (double rate, string note) = await RunAsync(scenario, store, settings);
            if (!results.TryGetValue((scenario, store), out List<double>? list))
            {
                results[(scenario, store)] = list = [];
            }

            list.Add(rate);
            Console.WriteLine($"{scenario,-9} round {round + 1} {store,-8} {rate,10:F0} msg/s {note}");
        }
    }
}

Console.WriteLine();
Console.WriteLine("| scenario | in-memory msg/s (median) | LiteDB msg/s (median) | LiteDB / in-memory | per-round ratios |");
Console.WriteLine("|---|---:|---:|---:|---|");
foreach (string scenario in settings.Stores.Length == 2 ? settings.Scenarios : [])
{
    List<double> mem = results[(scenario, "InMemory")];
    List<double> lite = results[(scenario, "LiteDb")];
    string perRound = string.Join(" ", lite.Zip(mem, (l, m) => (l / m).ToString("F2", CultureInfo.InvariantCulture)));
    Console.WriteLine($"| {Describe(scenario)} | {Median(mem):F0} | {Median(lite):F0} | **{Median(lite) / Median(mem):F2}** | {perRound} |");
}

static string Describe(string scenario) => scenario switch
{
    "direct" => "1:1",
    "group10" => "group of 10",
    "group100" => "group of 100",
    _ => scenario,
};

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static async Task<(double Rate, string Note)> RunAsync(string scenario, string store, Settings settings)
{
    string path = Path.Combine(settings.Directory, $"chatkit-bench-{Guid.NewGuid():N}.db");
    HostApplicationBuilder builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    IChatKitBuilder chat = builder.Services.AddChatKit(o =>
    {
        o.RateLimit = new RateLimitOptions { Burst = 1_000_000_000, PermitsPerSecond = 1_000_000_000 };
        o.InboxRetentionCount = settings.Retention;
    });
    if (store == "LiteDb")
    {
        chat.AddLiteDbStorage(path);
    }

    IHost host = builder.Build();
    await host.StartAsync();
    try
    {
        IChatEngine engine = host.Services.GetRequiredService<IChatEngine>();

        // Users and channels: 1:1 between 1,000 users in fixed pairs; groups of 10 or 100 with disjoint members.
        int groupSize = scenario switch { "group10" => 10, "group100" => 100, _ => 2 };
        int channels = scenario == "direct" ? 500 : Math.Max(2, 1000 / groupSize);
        var targets = new List<(string From, string? To, string? Channel, string[] Members)>();
        for (int c = 0; c < channels; c++)
        {
            string[] members = [.. Enumerable.Range(0, groupSize).Select(i => $"c{c}u{i}")];
            if (scenario == "direct")
            {
                targets.Add((members[0], members[1], null, members));
            }
            else
            {
                ChannelSummary g = await engine.CreateGroupAsync(members[0], $"g{c}", members[1..]);
                targets.Add((members[0], null, g.Channel.Id, members));
            }
        }

        // Warm up: one message in every channel (creates the direct channels), then load for a while (JIT, caches,
        // inboxes at their retention where the load is high enough), then measure.
        int warm = 0;
        foreach (var t in targets)
        {
            await engine.SendAsync(new SendMessageRequest(t.From, "bench", t.To, t.Channel, "first", $"first{warm++}"));
        }

        await LoadAsync(engine, targets, settings.Senders, TimeSpan.FromSeconds(Math.Min(2, settings.Seconds)), "w");
        var watch = Stopwatch.StartNew();
        long sent = await LoadAsync(engine, targets, settings.Senders, TimeSpan.FromSeconds(settings.Seconds), "m");
        double rate = sent / watch.Elapsed.TotalSeconds;
        string note = "";
        if (store == "LiteDb")
        {
            var db = host.Services.GetRequiredService<LiteDbChatDatabase>();
            note = $"({db.CommittedBatches} transactions in all)";
        }

        return (rate, note);
    }
    finally
    {
        await host.StopAsync();
        host.Dispose();
        foreach (string f in new[] { path, LiteDbChatDatabase.LogPathOf(path), path + ".lock" })
        {
            File.Delete(f);
        }
    }
}

static async Task<long> LoadAsync(IChatEngine engine, List<(string From, string? To, string? Channel, string[] Members)> targets, int senders, TimeSpan duration, string tag)
{
    long sent = 0;
    using var stop = new CancellationTokenSource(duration);
    await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
    {
        var random = new Random(s);
        long mine = 0;
        while (!stop.IsCancellationRequested)
        {
            var t = targets[random.Next(targets.Count)];
            string from = t.Members[random.Next(t.Members.Length)];
            string? to = t.To is null ? null : (from == t.From ? t.To : t.From);
            await engine.SendAsync(new SendMessageRequest(from, "bench", to, t.Channel, "a benchmark message of about sixty characters, give or take", $"{tag}{s}-{mine}"));
            mine++;
        }

        Interlocked.Add(ref sent, mine);
    })));
    return sent;
}

internal sealed record Settings(int Rounds, int Seconds, int Senders, int Retention, string[] Scenarios, string Directory, string[] Stores)
{
    public static Settings Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            int i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        return new Settings(
            int.Parse(Get("rounds", "5"), CultureInfo.InvariantCulture),
            int.Parse(Get("seconds", "5"), CultureInfo.InvariantCulture),
            int.Parse(Get("senders", "64"), CultureInfo.InvariantCulture),
            int.Parse(Get("retention", "1000"), CultureInfo.InvariantCulture),
            Get("scenarios", "direct,group10,group100").Split(','),
            Get("dir", Path.GetTempPath()),
            Get("stores", "InMemory,LiteDb").Split(','));
    }

    public override string ToString() =>
        $"rounds={Rounds} seconds={Seconds} senders={Senders} retention={Retention} scenarios={string.Join(',', Scenarios)} stores={string.Join(',', Stores)} dir={Directory}";
}
