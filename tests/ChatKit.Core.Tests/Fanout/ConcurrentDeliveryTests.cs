using System.Collections.Concurrent;
using System.Text.Json;
using ChatKit.Fanout;
using ChatKit.Messaging;
using ChatKit.Specification;
using ChatKit.Sync;
using ChatKit.Tests.Infrastructure;
using static ChatKit.Tests.Infrastructure.SessionReader;

namespace ChatKit.Tests.Fanout;

/// <summary>
/// The foundation's concurrency promise: many senders into one group while members connect and reconnect with their
/// cursors. Every inbox then has each message exactly once in channelSeq order, and every device's stream, across
/// all of its sessions, has no gap, duplicate or reordering.
/// </summary>
public sealed class ConcurrentDeliveryTests
{
    private const int Members = 6;
    private const int DevicesPerMember = 2;
    private const int Senders = 4;
    private const int MessagesPerSender = 150;

    [Fact]
    public async Task Many_senders_while_devices_reconnect_lose_duplicate_and_reorder_nothing()
    {
        await using var f = ChatKitFixture.Create(o =>
        {
            o.SessionQueueCapacity = 64; // small enough that slow readers get 4009 and reconnect
            o.PresenceGracePeriod = TimeSpan.Zero;
        });
        string[] members = [.. Enumerable.Range(0, Members).Select(i => $"member{i}")];
        string g = (await f.Engine.CreateGroupAsync(members[0], "busy", members[1..])).Channel.Id;
        using var sendersDone = new CancellationTokenSource();

        // Senders start once every device has its first session open, so that every device really reconnects
        // while messages arrive, however late the thread pool runs it.
        int waitingDevices = Members * DevicesPerMember;
        var allConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Connected()
        {
            if (Interlocked.Decrement(ref waitingDevices) == 0)
            {
                allConnected.TrySetResult();
            }
        }

        var devices = new List<Task<DeviceLog>>();
        for (int m = 0; m < Members; m++)
        {
            for (int d = 0; d < DevicesPerMember; d++)
            {
                string user = members[m];
                string device = $"dev{d}";
                int seed = (m * 10) + d;
                devices.Add(Task.Run(() => RunDeviceAsync(f, user, device, seed, Connected, sendersDone.Token)));
            }
        }

        await allConnected.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var sent = new ConcurrentBag<ChatMessage>();
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
        {
            for (int i = 0; i < MessagesPerSender; i++)
            {
                sent.Add(await f.SendAsync(members[s], g, $"s{s}-{i}"));
                if (i % 16 == 0)
                {
                    await Task.Yield();
                }
            }
        })));
        await sendersDone.CancelAsync();
        DeviceLog[] logs = await Task.WhenAll(devices).WaitAsync(TimeSpan.FromSeconds(45));

        const int total = Senders * MessagesPerSender;
        Assert.Equal(total, sent.Count);
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), sent.Select(m => m.ChannelSeq).Order());
        Dictionary<long, long> channelSeqById = sent.ToDictionary(m => m.Id, m => m.ChannelSeq);

        // Every inbox: the member entry, then each message exactly once, in channelSeq order, seqs gap-free.
        var inboxes = new Dictionary<string, IReadOnlyList<WireEntry>>();
        foreach (string member in members)
        {
            InboxPage page = await f.Store.ReadInboxAsync(member, 0, 100_000);
            IReadOnlyList<WireEntry> entries = WireEntry.Of(page.Entries);
            inboxes[member] = entries;
            Assert.Equal(Enumerable.Range(1, total + 1).Select(i => (long)i), entries.Select(e => e.Seq));
            List<WireEntry> messages = entries.Where(e => e.Kind == "message").ToList();
            Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), messages.Select(e => e.ChannelSeq!.Value));
            Assert.Equal(total, messages.Select(e => e.MessageId).Distinct().Count());
            Assert.All(messages, e => Assert.Equal(channelSeqById[e.MessageId!.Value], e.ChannelSeq));
        }

        // Every device saw its inbox whole, across all its sessions: exactly the inbox, in order.
        foreach (DeviceLog log in logs)
        {
            Assert.True(log.Sessions > 1, $"{log.User}/{log.Device} should have reconnected");
            Assert.Equal(inboxes[log.User].Select(e => (e.Seq, e.Kind, e.MessageId)), log.Entries.Select(e => (e.Seq, e.Kind, e.MessageId)));
        }
    }

    private static async Task<DeviceLog> RunDeviceAsync(ChatKitFixture f, string user, string device, int seed, Action connected, CancellationToken sendersDone)
    {
        var random = new Random(seed);
        var log = new DeviceLog(user, device);
        long cursor = 0;
        while (true)
        {
            bool finalRound = sendersDone.IsCancellationRequested;
            long head = finalRound ? await f.HeadAsync(user) : long.MaxValue;
            if (finalRound && cursor == head)
            {
                return log;
            }

            ChatSession session = await f.Sessions.OpenAsync(user, device, cursor);
            if (++log.Sessions == 1)
            {
                connected();
            }

            int budget = finalRound ? int.MaxValue : random.Next(1, 80);
            bool first = true;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

            // Until the senders are done a device may wait for entries that never come: stop waiting then.
            using var wait = finalRound ? CancellationTokenSource.CreateLinkedTokenSource(timeout.Token)
                : CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, sendersDone);
            while (budget > 0 && !(finalRound && cursor >= head))
            {
                if (!session.TryRead(out OutgoingFrame frame))
                {
                    if (!finalRound && (sendersDone.IsCancellationRequested || random.Next(4) == 0))
                    {
                        break; // disconnect mid-stream sometimes
                    }

                    try
                    {
                        if (!await session.WaitToReadAsync(wait.Token))
                        {
                            break; // the server closed it (4009): reconnect with the cursor
                        }
                    }
                    catch (OperationCanceledException) when (!finalRound && sendersDone.IsCancellationRequested)
                    {
                        break;
                    }

                    continue;
                }

                JsonElement json = WireEntry.ToJson(frame);
                string type = Type(json);
                if (first)
                {
                    Assert.Equal("welcome", type);
                    first = false;
                    continue;
                }

                Assert.Equal("entry", type); // never a reset: retention is large
                WireEntry e = WireEntry.Parse(json);
                Assert.True(e.Seq == cursor + 1, $"{user}/{device}: expected seq {cursor + 1}, got {e.Seq}");
                log.Entries.Add(e);
                cursor = e.Seq;
                budget--;

                // A slow reader now and then, so that some sessions overflow.
                if (random.Next(50) == 0)
                {
                    await Task.Delay(random.Next(1, 5));
                }
            }

            await f.Sessions.CloseAsync(session, random.Next(2) == 0 ? SessionCloseKind.Clean : SessionCloseKind.Dropped);
        }
    }

    private sealed class DeviceLog(string user, string device)
    {
        public string User { get; } = user;

        public string Device { get; } = device;

        public List<WireEntry> Entries { get; } = [];

        public int Sessions { get; set; }
    }
}
