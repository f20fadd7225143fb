using ChatKit.Fanout;
using ChatKit.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatKit.Tests.Infrastructure;

/// <summary>
/// ChatKit as a host builds it: <c>services.AddChatKit()</c> and a real service provider, optionally on a fake clock.
/// The rate limit is off unless a test sets it, so that tests that send a lot are not throttled.
/// </summary>
internal sealed class ChatKitFixture : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private ChatKitFixture(ServiceProvider services, FakeTimeProvider? clock)
    {
        Services = services;
        Clock = clock;
        Engine = services.GetRequiredService<IChatEngine>();
        Sessions = services.GetRequiredService<SessionManager>();
        Store = services.GetRequiredService<IMessageStore>();
    }

    public ServiceProvider Services { get; }

    public FakeTimeProvider? Clock { get; }

    public IChatEngine Engine { get; }

    public SessionManager Sessions { get; }

    public IMessageStore Store { get; }

    public static ChatKitFixture Create(Action<ChatKitOptions>? configure = null, Action<IServiceCollection>? services = null, bool fakeClock = false)
    {
        var collection = new ServiceCollection();
        FakeTimeProvider? clock = fakeClock ? new FakeTimeProvider(Start) : null;
        if (clock is not null)
        {
            collection.AddSingleton<TimeProvider>(clock);
        }

        services?.Invoke(collection);
        collection.AddChatKit(o =>
        {
            o.NodeId = "n-test";
            o.RateLimit.PermitsPerSecond = 0;
            configure?.Invoke(o);
        });
        return new ChatKitFixture(collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }), clock);
    }

    public Task<ChatMessage> SendAsync(string from, string channelId, string clientMsgId, string? body = null) =>
        Engine.SendAsync(new SendMessageRequest(from, "dev", null, channelId, body ?? "hi " + clientMsgId, clientMsgId));

    public Task<ChatMessage> SendDirectAsync(string from, string to, string clientMsgId, string? body = null) =>
        Engine.SendAsync(new SendMessageRequest(from, "dev", to, null, body ?? "hi " + clientMsgId, clientMsgId));

    public async Task<string> GroupAsync(string owner, params string[] members) =>
        (await Engine.CreateGroupAsync(owner, "group", members)).Channel.Id;

    public async Task<long> HeadAsync(string user) => (await Store.ReadInboxAsync(user, 0, 0)).State.Head;

    public ValueTask DisposeAsync() => Services.DisposeAsync();
}
