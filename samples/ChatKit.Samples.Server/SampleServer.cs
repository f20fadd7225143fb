using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using ChatKit.Hosting;
using ChatKit.Transport.WebSockets;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.IdentityModel.Tokens;

namespace ChatKit.Samples.Server;

/// <summary>
/// The sample host: ChatKit on ASP.NET Core with JwtBearer authentication, options bound from the configuration
/// section <c>ChatKit</c>, a development login (<c>POST /dev/token</c>, Development only) and the web chat in wwwroot.
/// </summary>
public static class SampleServer
{
    /// <summary>The issuer of the sample's tokens.</summary>
    public const string Issuer = "chatkit-sample";

    /// <summary>The audience of the sample's tokens.</summary>
    public const string Audience = "chatkit";

    /// <summary>Builds the app from command-line arguments (<c>--urls</c>, <c>--ChatKit:HeartbeatInterval=00:00:05</c>, …).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="configure">Lets tests adjust the builder (logging, options) before it is built.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        builder.Logging.AddChatKitTokenRedaction();

        IConfigurationSection chatKit = builder.Configuration.GetSection("ChatKit");
        builder.Services.AddOptions<ChatKitOptions>().Bind(chatKit);
        IChatKitBuilder chatKitBuilder = builder.Services.AddChatKit();
        IChatKitBuilderExtensions.AddSampleStorage(chatKitBuilder, chatKit);

        // --ChatKit:SocketListener=127.0.0.1:5002: the WebSocket endpoint also on ChatKit's own socket listener.
        if (chatKit["SocketListener"] is { Length: > 0 } socketListener)
        {
            chatKitBuilder.AddSocketListener(IPEndPoint.Parse(socketListener), "/chatkit");
        }

        var signingKey = new SymmetricSecurityKey(SigningKey(builder.Configuration, builder.Environment));
        var tokens = new DevTokenIssuer(signingKey, Issuer, Audience,
            builder.Configuration.GetValue("Auth:TokenLifetime", TimeSpan.FromHours(12)));
        builder.Services.AddSingleton(tokens);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            // Nothing reads the raw token after validation; keeping it would cost every connection a copy.
            o.SaveToken = false;
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = Issuer,
                ValidAudience = Audience,
                IssuerSigningKey = signingKey,
                ClockSkew = TimeSpan.FromSeconds(30),
            };
            o.Events = new JwtBearerEvents
            {
                // Browsers cannot set headers on a WebSocket: ChatKit's endpoints also take ?access_token=.
                OnMessageReceived = ctx =>
                {
                    ctx.Token ??= ChatKitAccessToken.FromQuery(ctx.Request);
                    return Task.CompletedTask;
                },

                // A WebSocket on MapChatKit's endpoint keeps its request's authentication result (cached by the
                // handler) for as long as it is open: let it hold the one claim ChatKit reads instead of the
                // parsed token and all its claims, about 4 KiB per connection. The expiry stays in the properties.
                OnTokenValidated = ctx =>
                {
                    if (ctx.Principal?.FindFirst("sub") is { } sub)
                    {
                        ctx.Principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", sub.Value)], ctx.Scheme.Name, "sub", null));
                    }

                    return Task.CompletedTask;
                },
            };
        });
        builder.Services.AddAuthorization();
        ListenForWebSocketsAlone(builder);

        configure?.Invoke(builder);
        WebApplication app = builder.Build();

        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.Use(ServePlaceholderAsync);

        app.MapChatKit("/chatkit");
        if (app.Environment.IsDevelopment())
        {
            app.MapPost("/dev/token", DevTokenIssuer.HandleAsync);
        }

        app.Lifetime.ApplicationStarted.Register(() => AnnounceUrls(app));
        return app;
    }

    /// <summary>
    /// <c>--ChatKit:WebSocketListener=127.0.0.1:5001</c> also serves the WebSocket endpoint on a listener of its own
    /// (<c>ListenOptions.UseChatKit</c>), where an idle connection keeps no HTTP request and costs about half the
    /// memory. Kestrel ignores <c>--urls</c> once code adds a listener, so the urls are listened to here too.
    /// </summary>
    private static void ListenForWebSocketsAlone(WebApplicationBuilder builder)
    {
        if (builder.Configuration["ChatKit:WebSocketListener"] is not { Length: > 0 } webSocketListener)
        {
            return;
        }

        IPEndPoint webSockets = IPEndPoint.Parse(webSocketListener);
        string[] urls = (builder.Configuration[WebHostDefaults.ServerUrlsKey] ?? "http://localhost:5000").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (string url in urls)
            {
                BindingAddress address = BindingAddress.Parse(url);
                if (!string.Equals(address.Scheme, "http", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException("With ChatKit:WebSocketListener the sample listens to http:// urls only.");
                }

                if (IPAddress.TryParse(address.Host, out IPAddress? ip))
                {
                    kestrel.Listen(ip, address.Port);
                }
                else if (string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase))
                {
                    kestrel.ListenLocalhost(address.Port);
                }
                else
                {
                    kestrel.ListenAnyIP(address.Port);
                }
            }

            kestrel.Listen(webSockets, listen => listen.UseChatKit("/chatkit"));
        });
    }

    private static byte[] SigningKey(IConfiguration configuration, IWebHostEnvironment environment)
    {
        string? configured = configuration["Auth:SigningKey"];
        if (!string.IsNullOrEmpty(configured))
        {
            byte[] key = Encoding.UTF8.GetBytes(configured);
            if (key.Length < 32)
            {
                throw new InvalidOperationException("Auth:SigningKey must be at least 32 bytes (HMAC-SHA256).");
            }

            return key;
        }

        if (!environment.IsDevelopment())
        {
            Console.Error.WriteLine("warning: Auth:SigningKey is not set; using a random key, so no token from outside this process is accepted.");
        }

        // A fresh key per process: tokens from /dev/token die with the server, which is what a demo wants.
        return RandomNumberGenerator.GetBytes(32);
    }

    private static async Task ServePlaceholderAsync(HttpContext context, RequestDelegate next)
    {
        // Reached only when wwwroot has no index.html (the web chat is not built in yet).
        if (context.Request.Path == "/" && HttpMethods.IsGet(context.Request.Method) && context.GetEndpoint() is null)
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync(
                "<!doctype html><title>ChatKit</title><h1>ChatKit sample server</h1>" +
                "<p>The WebSocket endpoint is <code>/chatkit</code>; see docs/protocol.md. " +
                "In Development, <code>POST /dev/token</code> with <code>{\"user\":\"alice\"}</code> returns a token.</p>").ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private static void AnnounceUrls(WebApplication app)
    {
        ICollection<string>? addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        string? webSocketListener = app.Configuration["ChatKit:WebSocketListener"];
        foreach (string address in addresses ?? [])
        {
            if (webSocketListener is not null && address.EndsWith("//" + webSocketListener, StringComparison.Ordinal))
            {
                Console.WriteLine($"ChatKit sample server: WebSocket-only listener ws://{webSocketListener}/chatkit");
                continue;
            }

            string open = address.Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
                .Replace("://[::]", "://localhost", StringComparison.Ordinal)
                .Replace("://+", "://localhost", StringComparison.Ordinal)
                .Replace("://*", "://localhost", StringComparison.Ordinal);
            Console.WriteLine($"ChatKit sample server ({app.Environment.EnvironmentName}) is listening. Open {open.TrimEnd('/')}/ in a browser; WebSocket endpoint {open.Replace("http", "ws", StringComparison.Ordinal).TrimEnd('/')}/chatkit");
        }
    }
}
