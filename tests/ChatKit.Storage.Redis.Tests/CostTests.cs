using System.Globalization;
using ChatKit.Messaging;
using Xunit.Abstractions;

namespace ChatKit.Storage.Redis.Tests;

/// <summary>What a message costs Redis, counted by the server itself (INFO commandstats).</summary>
public sealed class CostTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2, 6.0)]
    [InlineData(10, 15.0)]
    public async Task Redis_commands_per_message_stay_within_budget(int members, double budget)
    {
        using var server = new RedisServer();
        string prefix = RedisDeployment.UniquePrefix();
        await using TestNode a = await TestNode.StartAsync(server.EndPoint, prefix, "a");
        await using TestNode b = await TestNode.StartAsync(server.EndPoint, prefix, "b");
        string[] users = Enumerable.Range(0, members).Select(i => "u" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        ChannelSummary g = await a.Engine.CreateGroupAsync(users[0], "cost", users[1..]);
        SessionReader[] readers = await Task.WhenAll(users.Select(async (u, i) => new SessionReader(await (i % 2 == 0 ? a : b).Sessions.OpenAsync(u, "d", null))));

        const int Messages = 200;
        for (int i = 0; i < 20; i++)
        {
            await a.Engine.SendAsync(new SendMessageRequest(users[0], "d", null, g.Channel.Id, "warm", "w" + i.ToString(CultureInfo.InvariantCulture)));
        }

        foreach (SessionReader r in readers)
        {
            await r.WaitForAsync(x => x.Entries.Count == 20);
        }

        server.Cli("config", "resetstat");
        for (int i = 0; i < Messages; i++)
        {
            await a.Engine.SendAsync(new SendMessageRequest(users[0], "d", null, g.Channel.Id, "hello", "m" + i.ToString(CultureInfo.InvariantCulture)));
        }

        foreach (SessionReader r in readers)
        {
            await r.WaitForAsync(x => x.Entries.Count == 20 + Messages, TimeSpan.FromSeconds(20));
        }

        var stats = server.Cli("info", "commandstats").Split('\n')
            .Where(l => l.StartsWith("cmdstat_", StringComparison.Ordinal))
            .Select(l => (Name: l[8..l.IndexOf(':', StringComparison.Ordinal)],
                Calls: long.Parse(l.Split("calls=")[1].Split(',')[0], CultureInfo.InvariantCulture)))
            .Where(s => s.Name is not ("info" or "config" or "ping"))
            .ToList();
        // Commands inside scripts count in commandstats too: what a node sends is the scripts and publishes.
        double sent = stats.Where(s => s.Name is "evalsha" or "eval" or "publish" or "spublish").Sum(s => s.Calls) / (double)Messages;
        double executed = stats.Sum(s => s.Calls) / (double)Messages;
        output.WriteLine($"{members} members on 2 nodes: {sent:F2} commands sent and {executed:F2} executed (scripts' inner calls included) per message " +
            $"({string.Join(", ", stats.OrderByDescending(s => s.Calls).Select(s => $"{s.Name} {s.Calls / (double)Messages:F2}"))}); background beats included");
        Assert.True(sent <= budget, $"{sent:F2} commands sent per message");
    }
}
