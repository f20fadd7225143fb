using ChatKit.Messaging;
using ChatKit.Push;
using ChatKit.Specification.Messaging;
using ChatKit.Specification.Push;
using ChatKit.Storage.LiteDb.Hosting;

namespace ChatKit.Storage.LiteDb.Tests.Specification;

/// <summary>The contract with writes read back while they are still pending in the journal (the default 2 s interval).</summary>
public sealed class LiteDbMessageStoreSpecification : LiteDbMessageStoreSpecificationBase
{
    protected override int MaterializeAfterEntries => new LiteDbStorageOptions().MaterializeAfterEntries;
}

/// <summary>The contract with every batch folded into the layout at once: reads come from history and inbox blocks.</summary>
public sealed class LiteDbMaterializedMessageStoreSpecification : LiteDbMessageStoreSpecificationBase
{
    protected override int MaterializeAfterEntries => 1;
}

public abstract class LiteDbMessageStoreSpecificationBase : MessageStoreSpecification, IDisposable
{
    private readonly List<TempDatabase> _files = [];

    protected abstract int MaterializeAfterEntries { get; }

    protected override ValueTask<IMessageStore> CreateStoreAsync(ChatKitOptions options)
    {
        // Every store of a test gets its own file.
        var file = new TempDatabase();
        _files.Add(file);
        return new(TempDatabase.MessageStore(file.OpenDatabase(o => o.MaterializeAfterEntries = MaterializeAfterEntries), options));
    }

    // The files (and their databases) are closed in Dispose.
    protected override ValueTask DisposeStoreAsync(IMessageStore store) => default;

    public void Dispose()
    {
        foreach (TempDatabase file in _files)
        {
            file.Dispose();
        }
    }
}

public sealed class LiteDbPushTokenStoreSpecification : PushTokenStoreSpecification, IDisposable
{
    private readonly TempDatabase _file = new();

    protected override ValueTask<IPushTokenStore> CreateStoreAsync() =>
        new(TempDatabase.PushTokenStore(_file.OpenDatabase()));

    protected override ValueTask DisposeStoreAsync(IPushTokenStore store) => default;

    public void Dispose() => _file.Dispose();
}
