using ChatKit.Messaging;
using ChatKit.Push;
using ChatKit.Specification;
using ChatKit.Storage.LiteDb.Messaging;
using ChatKit.Storage.LiteDb.Push;
using ChatKit.Sync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatKit.Storage.LiteDb.Tests;

public sealed class HostTests : IDisposable
{
    private readonly TempDatabase _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public void AddLiteDbStorage_replaces_the_in_memory_stores_whether_called_before_or_after_AddChatKit()
    {
        var after = new ServiceCollection();
        after.AddChatKit().AddLiteDbStorage(_file.FilePath);

        var before = new ServiceCollection();
        before.AddChatKit().AddLiteDbStorage(_file.FilePath);
        before.AddChatKit(o => o.MaxGroupMembers = 50); // a second AddChatKit keeps what is registered

        foreach (ServiceCollection services in new[] { after, before })
        {
            using ServiceProvider sp = services.BuildServiceProvider();
            Assert.IsType<LiteDbMessageStore>(sp.GetRequiredService<IMessageStore>());
            Assert.IsType<LiteDbPushTokenStore>(sp.GetRequiredService<IPushTokenStore>());
            Assert.Single(services, d => d.ServiceType == typeof(IMessageStore));
            Assert.Single(services, d => d.ServiceType == typeof(IPushTokenStore));
        }

        // Resolving opened nothing: the file is opened when the host starts.
        Assert.False(File.Exists(_file.FilePath));
    }

    [Fact]
    public async Task Restart_keeps_history_inboxes_cursors_read_marks_dedupe_groups_and_push_tokens()
    {
        IHost first = await ChatHost.StartAsync(_file.FilePath);
        IChatEngine engine = first.Services.GetRequiredService<IChatEngine>();
        var sent = new List<ChatMessage>();
        for (int i = 0; i < 3; i++)
        {
            sent.Add(await engine.SendAsync(new SendMessageRequest("alice", "phone", "bob", null, $"hi {i}", $"a{i}", """{"n":1}""")));
        }

        ChannelSummary group = await engine.CreateGroupAsync("alice", "team", ["bob", "carol"]);
        sent.Add(await engine.SendAsync(new SendMessageRequest("carol", "web", null, group.Channel.Id, "hello team", "c0")));
        Assert.True(await engine.MarkReadAsync("bob", "d:alice:bob", 2));
        await first.Services.GetRequiredService<IPushTokenStore>().RegisterAsync(new PushToken("bob", "phone", "webpush", "{\"endpoint\":\"https://push.example/1\"}"));
        SyncResult bobBefore = await engine.SyncAsync("bob", 0);
        HistoryPage historyBefore = await engine.GetHistoryAsync("alice", "d:alice:bob");
        IReadOnlyList<ChannelSummary> channelsBefore = await engine.GetChannelsAsync("bob");
        await ChatHost.StopAsync(first);

        IHost second = await ChatHost.StartAsync(_file.FilePath);
        engine = second.Services.GetRequiredService<IChatEngine>();

        // History, with every field.
        HistoryPage history = await engine.GetHistoryAsync("bob", "d:alice:bob");
        Assert.Equal(historyBefore.Messages.Select(m => m.GetUtf8Json().ToArray()), history.Messages.Select(m => m.GetUtf8Json().ToArray()));

        // The inbox, entry by entry in wire form, and a device's cursor continues where it was.
        SyncResult bob = await engine.SyncAsync("bob", 0);
        Assert.Equal(WireEntry.Of(bobBefore.Entries), WireEntry.Of(bob.Entries));
        Assert.Equal(bobBefore.Head, bob.Head);
        SyncResult fromCursor = await engine.SyncAsync("bob", 3);
        Assert.False(fromCursor.Reset);
        Assert.Equal(WireEntry.Of(bobBefore.Entries.Skip(3)), WireEntry.Of(fromCursor.Entries));

        // Read marks, unread counts and the channel list.
        IReadOnlyList<ChannelSummary> channels = await engine.GetChannelsAsync("bob");
        Assert.Equal(channelsBefore.Select(c => (c.Channel.Id, c.ReadSeq, c.Unread, c.Channel.LastSeq, c.LastMessage?.Id)),
            channels.Select(c => (c.Channel.Id, c.ReadSeq, c.Unread, c.Channel.LastSeq, c.LastMessage?.Id)));
        ChannelSummary direct = Assert.Single(channels, c => c.Channel.Id == "d:alice:bob");
        Assert.Equal(2, direct.ReadSeq);
        Assert.Equal(1, direct.Unread);
        Assert.Equal(["alice", "bob", "carol"], Assert.Single(channels, c => c.Channel.Id == group.Channel.Id).Channel.Members);

        // Dedupe: a retry after the restart returns the first message and appends nothing.
        ChatMessage retry = await engine.SendAsync(new SendMessageRequest("alice", "phone", "bob", null, "hi again", "a1"));
        Assert.Equal(sent[1].Id, retry.Id);
        Assert.Equal(bob.Head, (await engine.SyncAsync("bob", 0)).Head);

        // New writes continue the sequences.
        ChatMessage next = await engine.SendAsync(new SendMessageRequest("bob", "phone", "alice", null, "back", "b0"));
        Assert.Equal(4, next.ChannelSeq);
        SyncResult after = await engine.SyncAsync("bob", bob.Head);
        Assert.Equal(bob.Head + 1, Assert.Single(after.Entries).Seq);

        // Push tokens.
        PushToken token = Assert.Single(await second.Services.GetRequiredService<IPushTokenStore>().GetTokensAsync("bob"));
        Assert.Equal("webpush", token.Provider);
        await ChatHost.StopAsync(second);
    }

    [Fact]
    public async Task A_corrupt_file_stops_the_start_with_a_message_naming_the_file()
    {
        await File.WriteAllTextAsync(_file.FilePath, new string('x', 40_000));

        InvalidOperationException error = await StartFailsAsync();

        Assert.Contains(_file.FilePath, error.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_with_a_damaged_header_stops_the_start_with_a_message_naming_the_file()
    {
        IHost host = await ChatHost.StartAsync(_file.FilePath);
        await host.Services.GetRequiredService<IChatEngine>().SendAsync(new SendMessageRequest("alice", "d", "bob", null, "x", "1"));
        await ChatHost.StopAsync(host);
        byte[] bytes = await File.ReadAllBytesAsync(_file.FilePath);
        Random.Shared.NextBytes(bytes.AsSpan(0, 8192));
        await File.WriteAllBytesAsync(_file.FilePath, bytes);

        InvalidOperationException error = await StartFailsAsync();

        Assert.Contains(_file.FilePath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_used_by_another_host_stops_the_start_with_a_message_naming_the_file()
    {
        IHost first = await ChatHost.StartAsync(_file.FilePath);
        try
        {
            InvalidOperationException error = await StartFailsAsync();

            Assert.Contains(_file.FilePath, error.Message, StringComparison.Ordinal);
            Assert.Contains("locked", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await ChatHost.StopAsync(first);
        }

        // Once the first host is gone, the file opens.
        await ChatHost.StopAsync(await ChatHost.StartAsync(_file.FilePath));
    }

    [Fact]
    public async Task A_file_locked_by_another_program_stops_the_start_with_a_message_naming_the_file()
    {
        await ChatHost.StopAsync(await ChatHost.StartAsync(_file.FilePath));
        using (new FileStream(_file.FilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            InvalidOperationException error = await StartFailsAsync();

            Assert.Contains(_file.FilePath, error.Message, StringComparison.Ordinal);
            Assert.Contains("in use", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_LiteDB_file_of_another_application_is_refused()
    {
        using (var other = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = _file.FilePath, Collation = LiteDB.Collation.Binary }))
        {
            other.GetCollection("customers").Insert(new LiteDB.BsonDocument { ["name"] = "x" });
        }

        InvalidOperationException error = await StartFailsAsync();

        Assert.Contains("not a ChatKit database", error.Message, StringComparison.Ordinal);
    }

    private async Task<InvalidOperationException> StartFailsAsync()
    {
        using IHost host = ChatHost.Build(_file.FilePath);
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
        return Assert.IsType<InvalidOperationException>(error is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerException : error);
    }
}
