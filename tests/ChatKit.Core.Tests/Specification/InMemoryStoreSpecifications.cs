using ChatKit.Discovery;
using ChatKit.Messaging;
using ChatKit.Presence;
using ChatKit.Push;
using ChatKit.Specification.Discovery;
using ChatKit.Specification.Messaging;
using ChatKit.Specification.Presence;
using ChatKit.Specification.Push;
using Microsoft.Extensions.Options;

namespace ChatKit.Tests.Specification;

public sealed class InMemoryMessageStoreSpecification : MessageStoreSpecification
{
    protected override ValueTask<IMessageStore> CreateStoreAsync(ChatKitOptions options) =>
        new(new InMemoryMessageStore(Options.Create(options)));
}

public sealed class InMemoryPresenceStoreSpecification : PresenceStoreSpecification
{
    protected override ValueTask<IPresenceStore> CreateStoreAsync() => new(new InMemoryPresenceStore());
}

public sealed class InMemoryPushTokenStoreSpecification : PushTokenStoreSpecification
{
    protected override ValueTask<IPushTokenStore> CreateStoreAsync() => new(new InMemoryPushTokenStore());
}

public sealed class InMemoryNodeRegistrySpecification : NodeRegistrySpecification
{
    protected override ValueTask<INodeRegistry> CreateRegistryAsync(TimeProvider clock) => new(new InMemoryNodeRegistry(clock));
}
