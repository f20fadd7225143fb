// Usage: TestNode <redis-config> <key-prefix> <node-id> burst <channel> <from> <count> <parallel>
//        TestNode <redis-config> <key-prefix> <node-id> sessions <user,user,...>
// Prints "READY" when started, "ACK <clientMsgId> <id>" for each acknowledged message, and runs until killed.
using System.Globalization;
using ChatKit;
using ChatKit.Fanout;
using ChatKit.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

string config = args[0], prefix = args[1], nodeId = args[2], mode = args[3];
var services = new ServiceCollection();
services.AddChatKit(o =>
{
    o.NodeId = nodeId;
    o.PresenceGracePeriod = TimeSpan.Zero;
    o.RateLimit.Burst = 1_000_000;
    o.RateLimit.PermitsPerSecond = 1_000_000;
}).AddRedis(config, o =>
{
    o.KeyPrefix = prefix;
    o.NodeTimeout = TimeSpan.FromSeconds(3);
    o.BeatInterval = TimeSpan.FromMilliseconds(500);
    o.FanoutLockTimeout = TimeSpan.FromSeconds(2);
});
await using ServiceProvider sp = services.BuildServiceProvider();
foreach (IHostedService h in sp.GetServices<IHostedService>())
{
    await h.StartAsync(CancellationToken.None);
}

var engine = sp.GetRequiredService<IChatEngine>();
var output = new object();
void Say(string line)
{
    lock (output)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}

if (mode == "sessions")
{
    var sessions = sp.GetRequiredService<SessionManager>();
    foreach (string user in args[4].Split(','))
    {
        await sessions.OpenAsync(user, "dev1", null);
    }

    Say("READY");
    await Task.Delay(Timeout.Infinite);
}
else if (mode == "burst")
{
    string channel = args[4], from = args[5];
    int count = int.Parse(args[6], CultureInfo.InvariantCulture), parallel = int.Parse(args[7], CultureInfo.InvariantCulture);
    Say("READY");
    int next = -1;
    await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            string clientMsgId = "b" + i.ToString(CultureInfo.InvariantCulture);
            while (true)
            {
                try
                {
                    ChatMessage m = await engine.SendAsync(new SendMessageRequest(from, "dev1", null, channel, "burst " + i, clientMsgId));
                    Say("ACK " + clientMsgId + " " + m.Id.ToString(CultureInfo.InvariantCulture));
                    break;
                }
                catch (ChatException e) when (e.Code == ChatErrorCode.Unavailable)
                {
                    await Task.Delay(50);
                }
            }
        }
    })));
    Say("DONE");
    await Task.Delay(Timeout.Infinite);
}
