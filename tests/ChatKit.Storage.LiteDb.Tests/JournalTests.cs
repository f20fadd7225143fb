using ChatKit.Messaging;
using ChatKit.Storage.LiteDb.Internal;
using ChatKit.Storage.LiteDb.Messaging;
using LiteDB;

namespace ChatKit.Storage.LiteDb.Tests;

/// <summary>The journal segment files: what a crash leaves in them, what is replayed, what is deleted.</summary>
public sealed class JournalTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _file = new();
    private long _id;

    public void Dispose() => _file.Dispose();

    [Fact]
    public void A_record_cut_short_at_the_end_of_the_newest_segment_is_cut_off_and_the_rest_replayed()
    {
        using (JournalFile journal = JournalFile.Open(_file.FilePath))
        {
            journal.Append(1, "one"u8);
            journal.Append(2, "two"u8);
        }

        string segment = Assert.Single(JournalFile.SegmentPaths(_file.FilePath));
        long whole = new FileInfo(segment).Length;
        using (FileStream stream = File.Open(segment, FileMode.Append))
        {
            // The first bytes of a third record: the process died inside the write.
            stream.Write([10, 0, 0, 0, 1, 2, 3]);
        }

        using (JournalFile journal = JournalFile.Open(_file.FilePath))
        {
            Assert.Equal(["one", "two"], journal.ReadAll().Select(r => System.Text.Encoding.UTF8.GetString(r.Payload)));
            Assert.Equal(whole, new FileInfo(segment).Length);
            journal.Append(3, "three"u8);
        }

        using (JournalFile journal = JournalFile.Open(_file.FilePath))
        {
            Assert.Equal([1L, 2L, 3L], journal.ReadAll().Select(r => r.Id));
        }
    }

    [Fact]
    public void A_damaged_record_in_an_older_segment_fails_with_the_file_named()
    {
        using (JournalFile journal = JournalFile.Open(_file.FilePath))
        {
            journal.Append(1, "one"u8);
            journal.RequestRotation();
            journal.Append(2, "two"u8);
        }

        IReadOnlyList<string> segments = JournalFile.SegmentPaths(_file.FilePath);
        Assert.Equal(2, segments.Count);
        byte[] first = File.ReadAllBytes(segments[0]);
        first[^1] ^= 0xFF;
        File.WriteAllBytes(segments[0], first);

        using JournalFile reopened = JournalFile.Open(_file.FilePath);
        var error = Assert.Throws<InvalidDataException>(() => reopened.ReadAll().ToList());
        Assert.Contains(segments[0], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_whose_batch_rolled_back_is_removed()
    {
        using (JournalFile journal = JournalFile.Open(_file.FilePath))
        {
            journal.Append(1, "one"u8);
            journal.Append(2, "two"u8);
            journal.RemoveLast();
            journal.Append(2, "deux"u8);
        }

        using JournalFile reopened = JournalFile.Open(_file.FilePath);
        Assert.Equal(["one", "deux"], reopened.ReadAll().Select(r => System.Text.Encoding.UTF8.GetString(r.Payload)));
    }

    [Fact]
    public async Task Segments_are_deleted_once_materialized_and_a_clean_close_leaves_none()
    {
        using (LiteDbChatDatabase db = _file.OpenDatabase(o => o.MaterializeInterval = TimeSpan.FromHours(1)))
        {
            LiteDbMessageStore store = TempDatabase.MessageStore(db);
            await Send(store, "a");
            Assert.Single(JournalFile.SegmentPaths(_file.FilePath));
            await store.MaterializeAsync();
            await Send(store, "b");
            await store.MaterializeAsync();

            // The first segment is folded in and gone; the second holds "b", folded in too, and is the writer's.
            Assert.Single(JournalFile.SegmentPaths(_file.FilePath));
            await Send(store, "c");
        }

        Assert.Empty(JournalFile.SegmentPaths(_file.FilePath));
        using LiteDbChatDatabase again = _file.OpenDatabase();
        HistoryPage history = await TempDatabase.MessageStore(again).GetHistoryAsync("d:alice:bob", null, 10);
        Assert.Equal(["a", "b", "c"], history.Messages.Select(m => m.Body));
    }

    [Fact]
    public async Task Records_already_materialized_are_not_applied_twice()
    {
        string kept = Path.Combine(_file.Directory, "kept");
        using (LiteDbChatDatabase db = _file.OpenDatabase(o => o.MaterializeInterval = TimeSpan.FromHours(1)))
        {
            LiteDbMessageStore store = TempDatabase.MessageStore(db);
            await Send(store, "a");
            await Send(store, "b");

            // What a process that died between folding the records in and deleting their segment leaves behind.
            File.Copy(Assert.Single(JournalFile.SegmentPaths(_file.FilePath)), kept);
            await store.MaterializeAsync();
        }

        File.Copy(kept, _file.FilePath + "-journal.000001", overwrite: true);
        using LiteDbChatDatabase again = _file.OpenDatabase();
        LiteDbMessageStore reopened = TempDatabase.MessageStore(again);
        await Send(reopened, "c");
        HistoryPage history = await reopened.GetHistoryAsync("d:alice:bob", null, 10);
        Assert.Equal(["a", "b", "c"], history.Messages.Select(m => m.Body));
        Assert.Equal([1L, 2L, 3L], history.Messages.Select(m => m.ChannelSeq));
    }

    [Fact]
    public async Task Files_of_layout_versions_2_to_4_are_upgraded_and_one_of_version_1_refused()
    {
        using (LiteDbChatDatabase db = _file.OpenDatabase())
        {
            await Send(TempDatabase.MessageStore(db), "a");
        }

        foreach (int version in new[] { 2, 3, 4 })
        {
            SetSchemaVersion(version);
            using LiteDbChatDatabase db = _file.OpenDatabase();
            LiteDbMessageStore store = TempDatabase.MessageStore(db);
            Assert.Equal(["a"], (await store.GetHistoryAsync("d:alice:bob", null, 10)).Messages.Select(m => m.Body));
            Assert.Equal(LiteDbChatDatabase.SchemaVersion, db.Db.GetCollection(LiteDbCollections.Meta).FindById("schema")["v"].AsInt32);
        }

        SetSchemaVersion(1);
        using LiteDbChatDatabase old = _file.OpenDatabase();
        var error = Assert.Throws<InvalidOperationException>(() => old.Open());
        Assert.Contains("earlier ChatKit", error.Message, StringComparison.Ordinal);
    }

    private void SetSchemaVersion(int version)
    {
        using var raw = new LiteDatabase(new ConnectionString { Filename = _file.FilePath });
        ILiteCollection<BsonDocument> meta = raw.GetCollection(LiteDbCollections.Meta);
        BsonDocument schema = meta.FindById("schema");
        schema["v"] = version;
        meta.Update(schema);
    }

    private async Task Send(LiteDbMessageStore store, string body)
    {
        CommitResult result = await store.CommitAsync(new MessageDraft(++_id, "d:alice:bob", ("alice", "bob"), "alice", "phone", body, null, "m" + _id, T0.AddSeconds(_id)));
        Assert.Equal(CommitStatus.Committed, result.Status);
    }
}
