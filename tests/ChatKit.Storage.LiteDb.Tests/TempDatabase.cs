using ChatKit.Storage.LiteDb.Hosting;
using ChatKit.Storage.LiteDb.Internal;
using ChatKit.Storage.LiteDb.Messaging;
using ChatKit.Storage.LiteDb.Push;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatKit.Storage.LiteDb.Tests;

/// <summary>A database file in a fresh temporary directory, deleted with it.</summary>
internal sealed class TempDatabase : IDisposable
{
    private readonly List<LiteDbChatDatabase> _opened = [];

    public TempDatabase()
    {
        Directory = Path.Combine(Path.GetTempPath(), "chatkit-litedb-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        FilePath = Path.Combine(Directory, "chat.db");
    }

    public string Directory { get; }

    public string FilePath { get; }

    /// <summary>The database file, its log and its journal segments, in bytes.</summary>
    public long SizeOnDisk =>
        new[] { FilePath, LiteDbChatDatabase.LogPathOf(FilePath) }.Concat(JournalFile.SegmentPaths(FilePath))
            .Where(File.Exists).Sum(f => new FileInfo(f).Length);

    public LiteDbChatDatabase OpenDatabase(Action<LiteDbStorageOptions>? configure = null)
    {
        var options = new LiteDbStorageOptions { Path = FilePath };
        configure?.Invoke(options);
        var db = new LiteDbChatDatabase(Options.Create(options), NullLogger<LiteDbChatDatabase>.Instance);
        lock (_opened)
        {
            _opened.Add(db);
        }

        return db;
    }

    public static LiteDbMessageStore MessageStore(LiteDbChatDatabase db, ChatKitOptions? options = null) =>
        new(db, Options.Create(options ?? new ChatKitOptions()));

    public static LiteDbPushTokenStore PushTokenStore(LiteDbChatDatabase db) => new(db);

    public void Dispose()
    {
        foreach (LiteDbChatDatabase db in _opened)
        {
            db.Dispose();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
