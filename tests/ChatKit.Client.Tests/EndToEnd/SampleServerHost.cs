using System.Net.Http.Json;
using System.Text.Json;
using ChatKit.Samples.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatKit.Client.Tests.EndToEnd;

/// <summary>The real sample server (in-memory storage, Development login) on a free loopback port, in this process.</summary>
internal sealed class SampleServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http;

    private SampleServerHost(WebApplication app)
    {
        _app = app;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http = new HttpClient { BaseAddress = new Uri(address) };
        Endpoint = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/chatkit");
    }

    public Uri Endpoint { get; }

    public static async Task<SampleServerHost> StartAsync(params string[] args)
    {
        string[] all = ["--urls", "http://127.0.0.1:0", "--environment", "Development", "--ChatKit:Storage=InMemory",
            "--ChatKit:RateLimit:PermitsPerSecond=100000", "--ChatKit:RateLimit:Burst=100000", .. args];
        WebApplication app = SampleServer.Build(all, b => b.Logging.ClearProviders());
        await app.StartAsync();
        return new SampleServerHost(app);
    }

    public async Task<string?> TokenAsync(string user, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _http.PostAsJsonAsync("/dev/token", new Dictionary<string, string> { ["user"] = user }, cancellationToken);
        response.EnsureSuccessStatusCode();
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return body.RootElement.GetProperty("token").GetString();
    }

    public ChatClient Client(string user, string device = "d1", ICursorStore? store = null, Action<ChatClientOptions>? configure = null)
    {
        ChatClientOptions options = TestClients.Options(Endpoint, device, store);
        options.AccessTokenProvider = ct => new ValueTask<string?>(TokenAsync(user, ct));
        configure?.Invoke(options);
        return new ChatClient(options);
    }

    /// <summary>Stops the server gracefully (it drains its sessions).</summary>
    public Task StopAsync() => _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        try
        {
            await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
        }

        await _app.DisposeAsync();
    }
}
