using System.Diagnostics;
using System.Globalization;
using ChatKit.Fanout;
using ChatKit.Ids;
using ChatKit.Messaging;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace ChatKit.Storage.Redis.Tests;

/// <summary>Tests that stop or break Redis itself: each has its own redis-server.</summary>
public sealed class RedisRestartTests
{
    [Fact]
    public async Task Redis_restarted_under_load_loses_no_acknowledged_message_and_sessions_recover_without_gaps()
    {
        using var server = new RedisServer();
        string prefix = RedisDeployment.UniquePrefix();
        await using TestNode a = await TestNode.StartAsync(server.EndPoint, prefix, "a");
        await using TestNode b = await TestNode.StartAsync(server.EndPoint, prefix, "b");

        // A client of bob on node b: reconnects with its cursor whenever its session is closed, checks every entry is the next.
        var received = new List<string>();
        long cursor = 0;
        using var stop = new CancellationTokenSource();
        Task client = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                ChatSession session;
                try
                {
                    session = await b.Sessions.OpenAsync("bob", "phone", cursor);
                }
                catch (ChatException)
                {
                    await Task.Delay(100);
                    continue;
                }

                while (!session.CloseRequested.IsCancellationRequested && !stop.IsCancellationRequested)
                {
                    var reader = new SessionReader(session);
                    reader.Drain();
                    foreach ((long seq, System.Text.Json.JsonElement entry) in reader.Entries)
                    {
                        Assert.Equal(cursor + 1, seq);
                        cursor = seq;
                        lock (received)
                        {
                            received.Add(SessionReader.Body(entry));
                        }
                    }

                    if (reader.Frames.Any(f => f.GetProperty("type").GetString() == "reset"))
                    {
                        throw new InvalidOperationException("The session was told to reset: entries were lost.");
                    }

                    await Task.Delay(10);
                }

                await b.Sessions.CloseAsync(session, SessionCloseKind.Dropped);
            }
        });

        var acked = new List<string>();
        Task sender = Task.Run(async () =>
        {
            for (int i = 0; i < 300; i++)
            {
                string body = "m" + i.ToString(CultureInfo.InvariantCulture);
                while (true)
                {
                    try
                    {
                        await a.Engine.SendAsync(new SendMessageRequest("alice", "d", "bob", null, body, body));
                        acked.Add(body);
                        break;
                    }
                    catch (Exception ex) when (ex is ChatException { Code: ChatErrorCode.Unavailable } or RedisException)
                    {
                        await Task.Delay(20);
                    }
                }

                await Task.Delay(5);
            }
        });

        while (acked.Count < 100)
        {
            await Task.Delay(10);
        }

        server.Kill();
        await Task.Delay(1500);
        server.Start();
        await sender;

        var sw = Stopwatch.StartNew();
        while (true)
        {
            lock (received)
            {
                if (received.Count >= acked.Count)
                {
                    break;
                }
            }

            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"bob has {received.Count} of {acked.Count} messages");
            await Task.Delay(50);
        }

        stop.Cancel();
        await client;
        Assert.Equal(acked, received);
    }

    [Fact]
    public async Task The_host_starts_while_Redis_is_down_reports_unhealthy_and_recovers_when_it_comes_up()
    {
        int port = RedisServer.FreePort();
        var sw = Stopwatch.StartNew();
        await using TestNode node = await TestNode.StartAsync("127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + ",connectTimeout=500",
            RedisDeployment.UniquePrefix(), "lonely");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"start took {sw.Elapsed}");
        Assert.False(await node.IsHealthyAsync());
        ChatException e = await Assert.ThrowsAsync<ChatException>(() => node.Engine.SendAsync(new SendMessageRequest("a", "d", "b", null, "hi", "1")));
        Assert.Equal(ChatErrorCode.Unavailable, e.Code);

        using var server = new RedisServer(port);
        RedisServer.WaitUntil(() => node.IsHealthyAsync().Result, TimeSpan.FromSeconds(20), "healthy");
        ChatMessage m = await RetryAsync(() => node.Engine.SendAsync(new SendMessageRequest("a", "d", "b", null, "hi", "1")));
        Assert.Equal(1, m.ChannelSeq);
    }

    [Fact]
    public async Task Live_nodes_never_share_a_worker_id_and_a_lost_lease_stops_issuing_ids()
    {
        using var server = new RedisServer();
        string prefix = RedisDeployment.UniquePrefix();
        await using TestNode a = await TestNode.StartAsync(server.EndPoint, prefix, "a");
        await using TestNode b = await TestNode.StartAsync(server.EndPoint, prefix, "b");
        var ga = (RedisLeasedIdGenerator)a.Services.GetRequiredService<IIdGenerator>();
        var gb = (RedisLeasedIdGenerator)b.Services.GetRequiredService<IIdGenerator>();
        Assert.True(ga.WorkerId >= 0 && gb.WorkerId >= 0);
        Assert.NotEqual(ga.WorkerId, gb.WorkerId);
        var ids = new HashSet<long>();
        for (int i = 0; i < 10_000; i++)
        {
            Assert.True(ids.Add(ga.NextId()));
            Assert.True(ids.Add(gb.NextId()));
        }

        // A clean stop releases the lease; a third node may take it.
        int released = ga.WorkerId;
        await a.StopAsync();
        await using TestNode c = await TestNode.StartAsync(server.EndPoint, prefix, "c");
        var gc = (RedisLeasedIdGenerator)c.Services.GetRequiredService<IIdGenerator>();
        Assert.NotEqual(gb.WorkerId, gc.WorkerId);

        // Someone else holds b's id now (as after a long partition): b notices on its next beat, stops using it and
        // leases another free one.
        int old = gb.WorkerId;
        using ConnectionMultiplexer mux = await ConnectionMultiplexer.ConnectAsync(server.EndPoint);
        await mux.GetDatabase().HashSetAsync(prefix + "{nodes}:wlease", old, "intruder|99999999999999");
        RedisServer.WaitUntil(() => gb.WorkerId != old && gb.WorkerId >= 0, TimeSpan.FromSeconds(5), "b to lease another id");
        Assert.NotEqual(gc.WorkerId, gb.WorkerId);
        Assert.NotEqual(old, SnowflakeIdGenerator.GetWorkerId(gb.NextId()));
        Assert.True(released >= 0);
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> action)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await action();
            }
            catch (ChatException e) when (e.Code == ChatErrorCode.Unavailable && sw.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(100);
            }
        }
    }
}
