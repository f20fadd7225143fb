// Usage: CrashChild DBPATH
// Opens ChatKit on LiteDB at DBPATH, prints "READY", then sends messages from 16 concurrent senders (1:1 and into
// two groups of 10) forever, printing "ACK CHANNEL CHANNELSEQ ID" for each acknowledged one. The crash test kills
// it with SIGKILL in the middle of the burst. The journal is folded into the layout often, so the kill may land there.
using ChatKit;
using ChatKit.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

string path = args[0];
HostApplicationBuilder builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Services.AddChatKit(o => o.RateLimit = new RateLimitOptions { Burst = 1_000_000, PermitsPerSecond = 1_000_000 }).AddLiteDbStorage(o =>
{
    o.Path = path;
    o.MaxBatchSize = 64;

    // Fold the journal into the layout every few hundred entries, so that the kill lands in a materialization as
    // often as in a journal write.
    o.MaterializeAfterEntries = 500;
    o.MaterializeInterval = TimeSpan.FromMilliseconds(50);
});
using IHost host = builder.Build();
await host.StartAsync();
IChatEngine engine = host.Services.GetRequiredService<IChatEngine>();

string[] users = [.. Enumerable.Range(0, 10).Select(i => $"u{i}")];
string g1 = (await engine.CreateGroupAsync("u0", "g1", users[1..])).Channel.Id;
string g2 = (await engine.CreateGroupAsync("u5", "g2", users)).Channel.Id;
var gate = new object();
Console.WriteLine("READY");

await Task.WhenAll(Enumerable.Range(0, 16).Select(s => Task.Run(async () =>
{
    for (int i = 0; ; i++)
    {
        string from = users[(s + i) % users.Length];
        SendMessageRequest request = (i % 3) switch
        {
            0 => new SendMessageRequest(from, "d1", users[(s + i + 1) % users.Length], null, $"hi {s}/{i}", $"s{s}-{i}"),
            1 => new SendMessageRequest(from, "d1", null, g1, $"g1 {s}/{i}", $"s{s}-{i}"),
            _ => new SendMessageRequest(from, "d1", null, g2, $"g2 {s}/{i}", $"s{s}-{i}"),
        };
        ChatMessage m = await engine.SendAsync(request);
        lock (gate)
        {
            Console.WriteLine($"ACK {m.ChannelId} {m.ChannelSeq} {m.Id}");
        }
    }
})));
