using ChatKit.Discovery;
using ChatKit.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChatKit.Tests.Hosting;

/// <summary><c>AddChatKit()</c>: options validated at start, safe to call twice, adapters replace defaults.</summary>
public sealed class AddChatKitTests
{
    public static TheoryData<string, string> InvalidOptions => new()
    {
        { "NodeId", "ChatKit:NodeId" },
        { "WorkerId", "ChatKit:WorkerId" },
        { "MaxGroupMembers", "ChatKit:MaxGroupMembers" },
        { "MaxBodyChars", "ChatKit:MaxBodyChars" },
        { "InboxRetentionCount", "ChatKit:InboxRetentionCount" },
        { "InboxRetentionAge", "ChatKit:InboxRetentionAge" },
        { "HeartbeatInterval", "ChatKit:HeartbeatInterval" },
        { "PresenceTouchInterval", "ChatKit:PresenceTouchInterval" },
        { "DedupeWindow", "ChatKit:DedupeWindow" },
        { "SessionQueueCapacity", "ChatKit:SessionQueueCapacity" },
        { "RateLimit", "ChatKit:RateLimit:Burst" },
        { "SystemUserId", "ChatKit:SystemUserId" },
        { "PublicUrl", "ChatKit:PublicUrl" },
    };

    private static void Break(ChatKitOptions o, string key)
    {
        switch (key)
        {
            case "NodeId": o.NodeId = "bad id"; break;
            case "WorkerId": o.WorkerId = 1024; break;
            case "MaxGroupMembers": o.MaxGroupMembers = 1; break;
            case "MaxBodyChars": o.MaxBodyChars = 0; break;
            case "InboxRetentionCount": o.InboxRetentionCount = 0; break;
            case "InboxRetentionAge": o.InboxRetentionAge = TimeSpan.Zero; break;
            case "HeartbeatInterval": o.HeartbeatInterval = TimeSpan.FromMilliseconds(10); break;
            case "PresenceTouchInterval": o.PresenceTouchInterval = TimeSpan.FromSeconds(-1); break;
            case "DedupeWindow": o.DedupeWindow = TimeSpan.FromHours(1); break;
            case "SessionQueueCapacity": o.SessionQueueCapacity = 1; break;
            case "RateLimit": o.RateLimit.Burst = 0; break;
            case "SystemUserId": o.SystemUserId = "sys tem"; break;
            case "PublicUrl": o.PublicUrl = "not a url"; break;
            default: throw new ArgumentOutOfRangeException(nameof(key));
        }
    }

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task An_invalid_option_stops_the_host_at_start_naming_the_key(string key, string expectedInMessage)
    {
        using IHost host = new HostBuilder()
            .ConfigureServices(s => s.AddChatKit(o => Break(o, key)))
            .Build();

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(expectedInMessage, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Valid_options_start_and_stop_the_host()
    {
        using IHost host = new HostBuilder()
            .ConfigureServices(s => s.AddChatKit(o => o.NodeId = "n1"))
            .Build();

        await host.StartAsync();
        IReadOnlyList<NodeInfo> nodes = await host.Services.GetRequiredService<INodeRegistry>().GetLiveNodesAsync(TimeSpan.FromMinutes(1));
        Assert.Equal("n1", Assert.Single(nodes).Id);
        await host.StopAsync();

        Assert.Empty(await host.Services.GetRequiredService<INodeRegistry>().GetLiveNodesAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task AddChatKit_twice_registers_once_and_applies_both_configurations()
    {
        var services = new ServiceCollection();
        services.AddChatKit(o => o.MaxGroupMembers = 50);
        int count = services.Count;
        services.AddChatKit(o => o.MaxBodyChars = 10);

        Assert.Equal(count + 1, services.Count); // only the second configure delegate
        Assert.Single(services, d => d.ServiceType == typeof(IChatEngine));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));

        await using ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        ChatKitOptions options = provider.GetRequiredService<IOptions<ChatKitOptions>>().Value;
        Assert.Equal(50, options.MaxGroupMembers);
        Assert.Equal(10, options.MaxBodyChars);
        IChatEngine engine = provider.GetRequiredService<IChatEngine>();
        Assert.Equal(ChatErrorCode.TooLarge, (await Assert.ThrowsAsync<ChatException>(() =>
            engine.SendAsync(new SendMessageRequest("a", "d", "b", null, new string('x', 11), "k")))).Code);
    }

    [Fact]
    public void AddChatKit_with_null_services_throws()
    {
        Assert.Throws<ArgumentNullException>(() => ChatKitServiceCollectionExtensions.AddChatKit(null!));
    }

    [Fact]
    public void An_adapter_registered_before_or_after_wins_over_the_default()
    {
        var before = new ServiceCollection();
        var mine = new InMemoryMessageStore(Options.Create(new ChatKitOptions()));
        before.AddSingleton<IMessageStore>(mine);
        before.AddChatKit();
        using (ServiceProvider p = before.BuildServiceProvider())
        {
            Assert.Same(mine, p.GetRequiredService<IMessageStore>());
        }

        var after = new ServiceCollection();
        after.AddChatKit().Services.AddSingleton<IMessageStore>(mine);
        using (ServiceProvider p = after.BuildServiceProvider())
        {
            Assert.Same(mine, p.GetRequiredService<IMessageStore>());
        }
    }
}
