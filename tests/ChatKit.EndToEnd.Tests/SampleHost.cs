using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ChatKit.Samples.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatKit.EndToEnd.Tests;

/// <summary>The sample server as a newcomer runs it, on a free loopback port, configured by command-line arguments only.</summary>
public sealed class SampleHost : IAsyncDisposable
{
    private SampleHost(WebApplication app, LogCapture logs)
    {
        App = app;
        Logs = logs;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(40) };
        WebSocketEndpoint = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/chatkit");
    }

    public WebApplication App { get; }

    public LogCapture Logs { get; }

    public HttpClient Http { get; }

    public Uri WebSocketEndpoint { get; }

    public static async Task<SampleHost> StartAsync(string environment = "Development", params string[] args)
    {
        var logs = new LogCapture();
        string[] all = ["--urls", "http://127.0.0.1:0", "--environment", environment, "--ChatKit:Storage=InMemory", .. args];
        WebApplication app = SampleServer.Build(all, b =>
        {
            b.Logging.ClearProviders();
            b.Logging.SetMinimumLevel(LogLevel.Information);
            b.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Information);
            b.Logging.AddProvider(logs);
        });
        await app.StartAsync();
        return new SampleHost(app, logs);
    }

    public async Task<string> TokenAsync(string user)
    {
        HttpResponseMessage response = await Http.PostAsJsonAsync("/dev/token", new { user });
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }

    public async Task<TestClient> ConnectAsync(string user, string device = "d1", long? after = null, string? origin = null) =>
        await TestClient.ConnectAsync(WebSocketEndpoint, await TokenAsync(user), device, after, origin, ["chatkit.v1"]);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await App.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (Exception)
        {
        }

        await App.DisposeAsync();
    }
}

public sealed class LogCapture : ILoggerProvider
{
    private readonly List<string> _entries = [];

    public IReadOnlyList<string> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string values = state is IReadOnlyList<KeyValuePair<string, object?>> kvs ? string.Join(' ', kvs.Select(kv => $"{kv.Key}={kv.Value}")) : "";
            lock (owner._entries)
            {
                owner._entries.Add($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} | {values} | {exception}");
            }
        }
    }
}
