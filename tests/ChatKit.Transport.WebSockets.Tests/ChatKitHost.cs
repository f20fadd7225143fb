using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Claims;
using System.Text.Encodings.Web;
using ChatKit.Fanout;
using ChatKit.Hosting;
using ChatKit.Transport.WebSockets;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatKit.Transport.WebSockets.Tests;

/// <summary>A real Kestrel on a free loopback port with ChatKit mapped at /chatkit and a test bearer scheme (token <c>tok-USER</c>).</summary>
public sealed class ChatKitHost : IAsyncDisposable
{
    private ChatKitHost(WebApplication app, CapturingLoggerProvider logs, int? webSocketPort)
    {
        App = app;
        Logs = logs;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First(a => webSocketPort is null || !a.EndsWith($":{webSocketPort}", StringComparison.Ordinal));
        HttpBase = new Uri(address);
        WebSocketEndpoint = webSocketPort is int port
            ? new Uri($"ws://127.0.0.1:{port}/chatkit")
            : new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/chatkit");
        Http = new HttpClient { BaseAddress = HttpBase, Timeout = TimeSpan.FromSeconds(40) };
    }

    public WebApplication App { get; }

    public CapturingLoggerProvider Logs { get; }

    public Uri HttpBase { get; }

    public Uri WebSocketEndpoint { get; }

    public HttpClient Http { get; }

    public IChatEngine Engine => App.Services.GetRequiredService<IChatEngine>();

    public SessionManager Sessions => App.Services.GetRequiredService<SessionManager>();

    /// <summary>
    /// CHATKIT_TEST_CONNECTION_HANDLER=1 runs every test's WebSocket on <c>ListenOptions.UseChatKit()</c>, and
    /// CHATKIT_TEST_SOCKET_LISTENER=1 on <c>AddSocketListener</c>, instead of <c>MapChatKit</c>'s endpoint (the HTTP
    /// endpoints stay where they are), to check that they behave alike; build/test.sh runs the suite that way on both.
    /// Two tests ask for MapChatKit's endpoint themselves, as they check what only it does: ASP.NET Core's request log
    /// of the handshake (LogRedactionTests) and <c>discover</c> answering with the WebSocket URL of the HTTP request's
    /// own host when no PublicUrl is set (HttpEndpointTests.Discover_and_health).
    /// </summary>
    public static WebSocketListener ListenerByDefault { get; } =
        Environment.GetEnvironmentVariable("CHATKIT_TEST_CONNECTION_HANDLER") == "1" ? WebSocketListener.ConnectionHandler
        : Environment.GetEnvironmentVariable("CHATKIT_TEST_SOCKET_LISTENER") == "1" ? WebSocketListener.SocketListener
        : WebSocketListener.MapChatKit;

    public static string Token(string user) => "tok-" + user;

    /// <param name="listener">Where the WebSocket endpoint is served; <see cref="ListenerByDefault"/> when not given.</param>
    public static async Task<ChatKitHost> StartAsync(Action<ChatKitOptions>? options = null, Action<ChatKitEndpointOptions>? endpoint = null,
        bool requireAuthorization = false, bool redact = true, Action<IServiceCollection>? services = null, Action<WebApplication>? pipeline = null,
        WebSocketListener? listener = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        WebSocketListener where = listener ?? ListenerByDefault;
        int? webSocketPort = null;
        switch (where)
        {
            case WebSocketListener.ConnectionHandler:
                int port = FreePort();
                webSocketPort = port;
                builder.WebHost.ConfigureKestrel(k =>
                {
                    k.Listen(IPAddress.Loopback, 0);
                    k.Listen(IPAddress.Loopback, port, l => l.UseChatKit("/chatkit"));
                });
                break;
            case WebSocketListener.SocketListener:
                webSocketPort = FreePort();
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                break;
            default:
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                break;
        }

        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddProvider(logs);
        if (redact)
        {
            builder.Logging.AddChatKitTokenRedaction();
        }

        IChatKitBuilder chatKit = builder.Services.AddChatKit(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromSeconds(30);
            o.PresenceGracePeriod = TimeSpan.FromMilliseconds(300);
            o.RateLimit.PermitsPerSecond = 0;
            options?.Invoke(o);
        });
        if (where == WebSocketListener.SocketListener)
        {
            chatKit.AddSocketListener(new IPEndPoint(IPAddress.Loopback, webSocketPort!.Value), "/chatkit");
        }

        builder.Services.AddAuthentication(TestAuthHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        services?.Invoke(builder.Services);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        WebApplication app = builder.Build();
        pipeline?.Invoke(app);
        ChatKitEndpointConventionBuilder chat = app.MapChatKit("/chatkit", o =>
        {
            o.CloseTimeout = TimeSpan.FromSeconds(3);
            o.DrainTimeout = TimeSpan.FromSeconds(5);
            endpoint?.Invoke(o);
        });
        if (requireAuthorization)
        {
            chat.RequireAuthorization();
        }

        await app.StartAsync();
        return new ChatKitHost(app, logs, webSocketPort);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public Task<TestClient> ConnectAsync(string user, string device = "d1", long? after = null, string? origin = null, string[]? subProtocols = null, bool startReading = true) =>
        TestClient.ConnectAsync(WebSocketEndpoint, Token(user), device, after, origin, subProtocols, startReading);

    public HttpRequestMessage Request(HttpMethod method, string path, string? user, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (user is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(user));
        }

        return request;
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

/// <summary>Accepts <c>Bearer tok-USER</c> (header or ChatKit's access_token query) as user USER.</summary>
public sealed class TestAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? token = null;
        string auth = Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            token = auth["Bearer ".Length..];
        }

        token ??= ChatKitAccessToken.FromQuery(Request);
        if (token is null || !token.StartsWith("tok-", StringComparison.Ordinal))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // tok-USER~MS: a token that expires in MS milliseconds.
        string user = token[4..];
        var properties = new AuthenticationProperties();
        int tilde = user.IndexOf('~', StringComparison.Ordinal);
        if (tilde > 0)
        {
            properties.ExpiresUtc = DateTimeOffset.UtcNow.AddMilliseconds(int.Parse(user[(tilde + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            user = user[..tilde];
        }

        var identity = new ClaimsIdentity([new Claim("sub", user)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), properties, SchemeName)));
    }
}

/// <summary>Keeps every log entry: its formatted message, its structured values and its exception.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
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

    private void Add(string entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string values = state is IReadOnlyList<KeyValuePair<string, object?>> kvs
                ? string.Join(' ', kvs.Select(kv => $"{kv.Key}={kv.Value}"))
                : "";
            owner.Add($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} | {values} | {exception}");
        }
    }
}

/// <summary>Where a test host serves its WebSocket endpoint.</summary>
public enum WebSocketListener
{
    /// <summary><c>MapChatKit</c>'s endpoint on Kestrel's HTTP listener.</summary>
    MapChatKit,

    /// <summary>A Kestrel listener of its own, <c>ListenOptions.UseChatKit()</c>.</summary>
    ConnectionHandler,

    /// <summary>ChatKit's own socket listener, <c>AddSocketListener</c>.</summary>
    SocketListener,
}
