using System.Diagnostics;
using ChatKit.Messaging;
using ChatKit.Storage.LiteDb.Internal;
using ChatKit.Storage.LiteDb.Messaging;
using ChatKit.Sync;
using Xunit.Abstractions;

namespace ChatKit.Storage.LiteDb.Tests;

public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDatabase _file = new();

    public void Dispose() => _file.Dispose();

    [Theory]
    [InlineData(300)]
    [InlineData(1500)]
    public async Task Killed_during_a_burst_every_acknowledged_message_is_there_once_and_no_inbox_has_a_gap(int killAfterAcks)
    {
        var acks = new List<(string Channel, long Seq, long Id)>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var child = new Process
        {
            StartInfo = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { ChildPath(), _file.FilePath },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        var stderr = new System.Text.StringBuilder();
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            if (e.Data == "READY")
            {
                ready.TrySetResult();
            }
            else if (e.Data.StartsWith("ACK ", StringComparison.Ordinal))
            {
                string[] parts = e.Data.Split(' ');
                lock (acks)
                {
                    acks.Add((parts[1], long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture)));
                    if (acks.Count >= killAfterAcks)
                    {
                        enough.TrySetResult();
                    }
                }
            }
        };
        child.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        child.Start();
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await enough.Task.WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            child.Kill(entireProcessTree: true);
            Assert.Fail($"The child did not get going: {stderr}");
        }

        // SIGKILL: no disposal, no checkpoint, no flush; the writer is somewhere in a transaction.
        child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync();
        child.WaitForExit(); // drains the redirected output: every ACK the child printed was acknowledged

        List<(string Channel, long Seq, long Id)> acknowledged;
        lock (acks)
        {
            acknowledged = [.. acks];
        }

        Assert.True(acknowledged.Count >= killAfterAcks);
        long logBytes = new FileInfo(LiteDbChatDatabase.LogPathOf(_file.FilePath)).Length;
        using LiteDbChatDatabase db = _file.OpenDatabase();
        LiteDbMessageStore store = TempDatabase.MessageStore(db);

        // Every acknowledged message is in its channel's history, once, at the acknowledged position.
        var inboxes = new Dictionary<string, List<InboxEntry>>(StringComparer.Ordinal);
        for (int u = 0; u < 10; u++)
        {
            inboxes[$"u{u}"] = await AllInboxAsync(store, $"u{u}");
        }

        var histories = new Dictionary<string, List<ChatMessage>>(StringComparer.Ordinal);
        foreach (string channel in acknowledged.Select(a => a.Channel).Concat(inboxes.Values.SelectMany(i => i).Select(e => e.Item.ChannelId)).Distinct())
        {
            histories[channel] = await AllHistoryAsync(store, channel);
        }

        foreach ((string channel, long seq, long id) in acknowledged)
        {
            ChatMessage stored = Assert.Single(histories[channel], m => m.Id == id);
            Assert.Equal(seq, stored.ChannelSeq);
        }

        foreach ((string channel, List<ChatMessage> history) in histories)
        {
            Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(m => m.ChannelSeq));
            Assert.Equal(history.Count, history.Select(m => m.Id).Distinct().Count());
            Assert.Equal(history.Count, history.Select(m => (m.From, m.ClientMsgId)).Distinct().Count());
        }

        output.WriteLine($"acknowledged {acknowledged.Count}, committed {histories.Values.Sum(h => h.Count)}, write-ahead log at the kill {logBytes} bytes");

        // Every inbox is gap-free, and holds every committed message of its channels exactly once: each commit
        // (message, dedupe key, every member's entry) is all there or not at all.
        foreach ((string user, List<InboxEntry> inbox) in inboxes)
        {
            Assert.NotEmpty(inbox);
            Assert.Equal(Enumerable.Range(1, inbox.Count).Select(i => (long)i), inbox.Select(e => e.Seq));
            var ids = inbox.Where(e => e.Item.Kind == InboxEntryKind.Message).Select(e => e.Item.Message!.Id).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            var expected = histories.Where(h => IsMember(h.Key, user)).SelectMany(h => h.Value).Select(m => m.Id).ToHashSet();
            Assert.Equal(expected.Order(), ids.Order());
        }
    }

    private static bool IsMember(string channel, string user) =>
        !ChannelIds.TryParseDirect(channel, out string low, out string high) || low == user || high == user;

    private static async Task<List<ChatMessage>> AllHistoryAsync(IMessageStore store, string channel)
    {
        var all = new List<ChatMessage>();
        long? before = null;
        while (true)
        {
            HistoryPage page = await store.GetHistoryAsync(channel, before, 200);
            all.InsertRange(0, page.Messages);
            if (!page.HasMore)
            {
                return all;
            }

            before = page.Messages[0].ChannelSeq;
        }
    }

    private static async Task<List<InboxEntry>> AllInboxAsync(IMessageStore store, string user)
    {
        var all = new List<InboxEntry>();
        long after = 0;
        while (true)
        {
            InboxPage page = await store.ReadInboxAsync(user, after, 1000);
            all.AddRange(page.Entries);
            if (!page.HasMore)
            {
                return all;
            }

            after = page.Entries[^1].Seq;
        }
    }

    private static string ChildPath()
    {
        string testDir = AppContext.BaseDirectory;
        string childDir = testDir.Replace("ChatKit.Storage.LiteDb.Tests", "ChatKit.Storage.LiteDb.CrashChild", StringComparison.Ordinal);
        string dll = Path.Combine(childDir, "ChatKit.Storage.LiteDb.CrashChild.dll");
        Assert.True(File.Exists(dll), $"The crash child was not built: {dll}");
        return dll;
    }
}
