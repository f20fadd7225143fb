using ChatKit.Messaging;
using ChatKit.Push;
using ChatKit.Specification.Messaging;
using ChatKit.Specification.Push;

namespace ChatKit.Storage.LiteDb.Tests.Specification;

public sealed class LiteDbMessageStoreSpecification : MessageStoreSpecification, IDisposable
{
    private readonly List<TempDatabase> _files = [];

    protected override ValueTask<IMessageStore> CreateStoreAsync(ChatKitOptions options)
    {
        // Every store of a test gets its own file.
        var file = new TempDatabase();
        _files.Add(file);
        return new(TempDatabase.MessageStore(file.OpenDatabase(), options));
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
