using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using ChatKit.Discovery;
using ChatKit.Fanout;
using ChatKit.Hosting;
using ChatKit.Messaging;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;
using ChatKit.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>The endpoints of one <c>MapChatKit()</c> call: the WebSocket endpoint and the HTTP endpoints of PROTOCOL.md section 8.</summary>
internal sealed class ChatKitTransport
{
    private const string HttpDevice = "http";
    private static readonly TimeSpan HealthProbeTimeout = TimeSpan.FromSeconds(2);

    private readonly IMessageStore _store;
    private readonly IChatKitHealthCheck[] _healthChecks;
    private readonly NodeDiscovery _discovery;
    private readonly OriginPolicy _origins;
    private readonly ConnectionTracker _connections = new();
    private readonly string _pattern;

    // Keyed by the host's session manager (one per host, whichever service provider asks), so that a Kestrel
    // listener of the same host finds the transport that MapChatKit created.
    private static readonly ConditionalWeakTable<SessionManager, ConcurrentDictionary<string, ChatKitTransport>> Mapped = new();

    public ChatKitTransport(IServiceProvider services, string pattern, ChatKitEndpointOptions endpointOptions)
    {
        _pattern = pattern;
        EndpointOptions = endpointOptions;
        ChatOptions = services.GetRequiredService<IOptions<ChatKitOptions>>().Value;
        Engine = services.GetRequiredService<IChatEngine>();
        Sessions = services.GetRequiredService<SessionManager>();
        _discovery = services.GetRequiredService<NodeDiscovery>();
        _store = services.GetRequiredService<IMessageStore>();
        _healthChecks = services.GetServices<IChatKitHealthCheck>().ToArray();
        Logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("ChatKit.Transport.WebSockets");
        Clock = services.GetService<TimeProvider>() ?? TimeProvider.System;
        Dispatcher = new RequestDispatcher(Engine, Clock, Logger);
        _origins = new OriginPolicy(ChatOptions.AllowedOrigins);
        Mapped.GetOrCreateValue(Sessions)[NormalizePattern(pattern)] = this;
    }

    public IChatEngine Engine { get; }

    /// <summary>The transport that <c>MapChatKit(pattern)</c> created on this host, or <see langword="null"/>.</summary>
    internal static ChatKitTransport? Find(IServiceProvider services, string pattern) =>
        services.GetService<SessionManager>() is { } sessions && Mapped.TryGetValue(sessions, out ConcurrentDictionary<string, ChatKitTransport>? byPattern)
            && byPattern.TryGetValue(NormalizePattern(pattern), out ChatKitTransport? transport)
            ? transport
            : null;

    public SessionManager Sessions { get; }

    public ChatKitOptions ChatOptions { get; }

    public ChatKitEndpointOptions EndpointOptions { get; }

    public ILogger Logger { get; }

    public TimeProvider Clock { get; }

    public RequestDispatcher Dispatcher { get; }

    public RouteGroupBuilder Map(IEndpointRouteBuilder endpoints, ILoggerFactory loggerFactory)
    {
        RouteGroupBuilder group = endpoints.MapGroup(_pattern);
        group.WithMetadata(new ChatKitEndpointMetadata(_pattern));

        // The WebSocket middleware runs per endpoint, so the host needs no app.UseWebSockets(); it steps aside when
        // the host added it already. No WebSocket keep-alive: the client's ping frame is the heartbeat (PROTOCOL.md
        // section 6), and the default keep-alive costs every connection a timer and an unsolicited pong every two
        // minutes that no client needs.
        var webSockets = new WebSocketMiddleware(HandleWebSocketAsync, Options.Create(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero }), loggerFactory);
        group.Map("", webSockets.Invoke).WithDisplayName("ChatKit WebSocket");
        group.MapGet("discover", HandleDiscoverAsync).WithDisplayName("ChatKit discover");
        group.MapGet("health", HandleHealthAsync).WithDisplayName("ChatKit health").AllowAnonymous();
        group.MapPost("messages", HandleSendAsync).WithDisplayName("ChatKit send");
        group.MapGet("channels/{id}/messages", HandleHistoryAsync).WithDisplayName("ChatKit history");
        group.MapGet("sync", HandleSyncAsync).WithDisplayName("ChatKit sync");
        group.MapPost("logout", HandleLogoutAsync).WithDisplayName("ChatKit logout");

        IHostApplicationLifetime? lifetime = endpoints.ServiceProvider.GetService<IHostApplicationLifetime>();
        lifetime?.ApplicationStopping.Register(Drain);
        return group;
    }

    /// <summary>Graceful shutdown: every session gets <c>drain</c> and close 1012, and the host waits briefly for the sockets to close.</summary>
    internal void Drain()
    {
        Log.Draining(Logger, Sessions.Count);
        Sessions.Drain();
        if (!_connections.WhenIdle().Wait(EndpointOptions.DrainTimeout))
        {
            Log.DrainTimedOut(Logger, _connections.Count);
        }
    }

    private static readonly System.Security.Claims.ClaimsPrincipal AnonymousPrincipal = new();

    private async Task HandleWebSocketAsync(HttpContext context)
    {
        if (await AcceptAsync(context).ConfigureAwait(false) is not AcceptedWebSocket accepted)
        {
            return;
        }

        // The request lives as long as the connection: let go of what only the handshake needed (the principal
        // with its claims, the authentication result). The authentication handler's own cached result outlives
        // this; ListenOptions.UseChatKit keeps none of it.
        context.User = AnonymousPrincipal;
        context.Features.Set<IAuthenticateResultFeature>(null);
        await RunWebSocketAsync(accepted, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The WebSocket handshake of PROTOCOL.md section 1 on an authenticated request: checks the origin, the device and
    /// the cursor, opens the session and accepts the upgrade. Writes the refusal (401, 403, 400, 503) and returns
    /// <see langword="null"/> when refused. An accepted connection counts as open until <see cref="RunWebSocketAsync"/> ends.
    /// </summary>
    internal async Task<AcceptedWebSocket?> AcceptAsync(HttpContext context)
    {
        if (await PreludeAsync(context).ConfigureAwait(false) is not string user)
        {
            return null;
        }

        IQueryCollection query = context.Request.Query;
        string? device = query["device"];
        if (!ProtocolLimits.IsValidDevice(device))
        {
            await HttpResults.WriteErrorAsync(context, ErrorCodes.BadRequest, "device must be 1–64 characters of A–Z a–z 0–9 . _ -.").ConfigureAwait(false);
            return null;
        }

        if (!TryGetLong(query, "after", out long? after) || after < 0)
        {
            await HttpResults.WriteErrorAsync(context, ErrorCodes.BadRequest, "after must be a non-negative inbox seq.").ConfigureAwait(false);
            return null;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await HttpResults.WriteErrorAsync(context, ErrorCodes.BadRequest, "This endpoint expects a WebSocket upgrade.").ConfigureAwait(false);
            return null;
        }

        ChatSession session;
        try
        {
            session = await Sessions.OpenAsync(user, device!, after, context.RequestAborted).ConfigureAwait(false);
        }
        catch (ChatException ex)
        {
            await HttpResults.WriteErrorAsync(context, ex).ConfigureAwait(false);
            return null;
        }

        _connections.Enter();
        WebSocket socket;
        try
        {
            string? subProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains(ProtocolLimits.SubProtocol)
                ? ProtocolLimits.SubProtocol
                : null;
            socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = subProtocol }).ConfigureAwait(false);
        }
        catch
        {
            _connections.Exit();
            await Sessions.CloseAsync(session, SessionCloseKind.Dropped).ConfigureAwait(false);
            throw;
        }

        DateTimeOffset? expires = EndpointOptions.CloseOnAuthenticationExpiration
            ? context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Properties?.ExpiresUtc
            : null;
        return new AcceptedWebSocket(socket, session, expires);
    }

    /// <summary>Runs an accepted connection until it closes.</summary>
    internal async Task RunWebSocketAsync(AcceptedWebSocket accepted, CancellationToken connectionAborted)
    {
        try
        {
            using (accepted.Socket)
            {
                Log.SessionOpened(Logger, accepted.Session.Id, accepted.Session.User, accepted.Session.Device);
                await new WebSocketConnection(accepted.Socket, accepted.Direct, accepted.Session, this).RunAsync(accepted.AuthenticationExpires, connectionAborted).ConfigureAwait(false);
            }
        }
        finally
        {
            _connections.Exit();
        }
    }

    private Task HandleDiscoverAsync(HttpContext context) => RunAsync(context, async user =>
    {
        NodeInfo? node = await _discovery.ChooseNodeAsync(context.RequestAborted).ConfigureAwait(false);
        if (node is null)
        {
            throw new ChatException(ChatErrorCode.Unavailable, "No ChatKit node is available.");
        }

        string url = node.Url ?? SelfUrl(context.Request);
        await HttpResults.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteString("url"u8, url);
            w.WriteString("node"u8, node.Id);
        }).ConfigureAwait(false);
    });

    private async Task HandleHealthAsync(HttpContext context)
    {
        bool storageOk;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(HealthProbeTimeout);
            await _store.GetChannelAsync("g-0", timeout.Token).ConfigureAwait(false);
            storageOk = true;

            // Adapters whose server can be down (Redis) say so themselves, without waiting for a store timeout.
            foreach (IChatKitHealthCheck check in _healthChecks)
            {
                storageOk &= await check.IsHealthyAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            Log.HttpRequestFailed(Logger, ex);
            storageOk = false;
        }

        bool draining = Sessions.IsDraining;
        string status = !storageOk ? "unavailable" : draining ? "draining" : "ok";
        await HttpResults.WriteJsonAsync(context, storageOk && !draining ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, w =>
        {
            w.WriteString("status"u8, status);
            w.WriteString("node"u8, ChatOptions.NodeId);
            w.WriteNumber("sessions"u8, Sessions.Count);
            w.WriteString("storage"u8, storageOk ? "ok"u8 : "unreachable"u8);
            w.WriteBoolean("draining"u8, draining);
        }).ConfigureAwait(false);
    }

    private Task HandleSendAsync(HttpContext context) => RunAsync(context, async user =>
    {
        string device = context.Request.Query["device"].ToString() is { Length: > 0 } d ? d : HttpDevice;
        if (!ProtocolLimits.IsValidDevice(device))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "device must be 1–64 characters of A–Z a–z 0–9 . _ -.");
        }

        ClientFrame frame = await ReadBodyAsync(context).ConfigureAwait(false);
        var request = new SendMessageRequest(user, device, frame.To, frame.Channel, frame.Body!, frame.ClientMsgId!, ReplyWriter.MetaJson(frame.Meta));
        ChatMessage message = await Engine.SendAsync(request, context.RequestAborted).ConfigureAwait(false);
        await HttpResults.WriteRawAsync(context, message.GetUtf8Json()).ConfigureAwait(false);
    });

    private Task HandleHistoryAsync(HttpContext context) => RunAsync(context, async user =>
    {
        string channel = context.Request.RouteValues["id"] as string ?? "";
        IQueryCollection query = context.Request.Query;
        if (!TryGetLong(query, "before", out long? before) || !TryGetInt(query, "limit", out int? limit))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "before and limit must be integers.");
        }

        HistoryPage page = await Engine.GetHistoryAsync(user, channel, before, limit, context.RequestAborted).ConfigureAwait(false);
        await HttpResults.WriteJsonAsync(context, StatusCodes.Status200OK, w => ReplyWriter.WriteHistory(w, page)).ConfigureAwait(false);
    });

    private Task HandleSyncAsync(HttpContext context) => RunAsync(context, async user =>
    {
        IQueryCollection query = context.Request.Query;
        string? device = query["device"];
        if (!string.IsNullOrEmpty(device) && !ProtocolLimits.IsValidDevice(device))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "device must be 1–64 characters of A–Z a–z 0–9 . _ -.");
        }

        if (!TryGetLong(query, "after", out long? after) || after is null)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "after is required: the device's cursor (an inbox seq; 0 for the beginning).");
        }

        if (!TryGetInt(query, "limit", out int? limit) || !TryGetInt(query, "waitMs", out int? waitMs))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "limit and waitMs must be integers.");
        }

        TimeSpan? wait = waitMs is int ms ? TimeSpan.FromMilliseconds(ms) : null;
        SyncResult result = await Engine.SyncAsync(user, after.Value, limit, wait, context.RequestAborted).ConfigureAwait(false);
        await HttpResults.WriteJsonAsync(context, StatusCodes.Status200OK, w => ReplyWriter.WriteSync(w, result)).ConfigureAwait(false);
    });

    private Task HandleLogoutAsync(HttpContext context) => RunAsync(context, async user =>
    {
        string? device = context.Request.Query["device"];
        if (!ProtocolLimits.IsValidDevice(device))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "device must be 1–64 characters of A–Z a–z 0–9 . _ -.");
        }

        int closed = Engine.Logout(user, device!);
        await HttpResults.WriteJsonAsync(context, StatusCodes.Status200OK, w => w.WriteNumber("closed"u8, closed)).ConfigureAwait(false);
    });

    /// <summary>Authenticates and checks the origin; writes 401 or 403 and returns <see langword="null"/> when refused.</summary>
    private async Task<string?> PreludeAsync(HttpContext context)
    {
        string? user = UserResolver.GetUserId(context.User, EndpointOptions.UserIdClaimType);
        if (user is null)
        {
            await HttpResults.WriteErrorAsync(context, ErrorCodes.Unauthorized, "Authentication is required (a bearer token in the Authorization header or the access_token query parameter).").ConfigureAwait(false);
            return null;
        }

        if (!_origins.IsAllowed(context.Request))
        {
            await HttpResults.WriteErrorAsync(context, ErrorCodes.Forbidden, "This origin is not allowed (ChatKit:AllowedOrigins).").ConfigureAwait(false);
            return null;
        }

        return user;
    }

    private async Task RunAsync(HttpContext context, Func<string, Task> handle)
    {
        if (await PreludeAsync(context).ConfigureAwait(false) is not string user)
        {
            return;
        }

        try
        {
            await handle(user).ConfigureAwait(false);
        }
        catch (ChatException ex) when (!context.Response.HasStarted)
        {
            await HttpResults.WriteErrorAsync(context, ex).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (a long poll it gave up on).
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            await HttpResults.WriteErrorAsync(context, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? ErrorCodes.TooLarge : ErrorCodes.BadRequest,
                "The request could not be read.").ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            Log.HttpRequestFailed(Logger, ex);
            await HttpResults.WriteErrorAsync(context, ErrorCodes.Internal, "The server failed to handle the request.").ConfigureAwait(false);
        }
    }

    private async Task<ClientFrame> ReadBodyAsync(HttpContext context)
    {
        int max = ChatOptions.MaxFrameBytes;
        if (context.Request.ContentLength > max)
        {
            throw new ChatException(ChatErrorCode.TooLarge, $"The body may have at most {max} bytes.");
        }

        using var buffer = new PooledBufferWriter();
        Stream body = context.Request.Body;
        while (true)
        {
            int read = await body.ReadAsync(buffer.GetMemory(4096), context.RequestAborted).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > max)
            {
                throw new ChatException(ChatErrorCode.TooLarge, $"The body may have at most {max} bytes.");
            }
        }

        try
        {
            return JsonSerializer.Deserialize(buffer.WrittenMemory.Span, ChatKitJsonContext.Default.ClientFrame)
                ?? throw new ChatException(ChatErrorCode.BadRequest, "The body must be a JSON object.");
        }
        catch (JsonException)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "The body must be a JSON object like the send request (to or channel, body, clientMsgId, meta).");
        }
    }

    private string SelfUrl(HttpRequest request)
    {
        string scheme = request.IsHttps ? "wss" : "ws";
        return $"{scheme}://{request.Host}{request.PathBase}{_pattern.TrimEnd('/')}";
    }

    private static string NormalizePattern(string pattern) => "/" + pattern.Trim('/').ToUpperInvariant();

    private static bool TryGetLong(IQueryCollection query, string name, out long? value)
    {
        value = null;
        string? text = query[name];
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
        {
            value = v;
            return true;
        }

        return false;
    }

    private static bool TryGetInt(IQueryCollection query, string name, out int? value)
    {
        value = null;
        if (!TryGetLong(query, name, out long? v))
        {
            return false;
        }

        if (v is long l)
        {
            if (l > int.MaxValue)
            {
                return false;
            }

            value = (int)l;
        }

        return true;
    }
}

/// <summary>A WebSocket that passed the handshake, with its session and the expiry of the authentication it was opened with.</summary>
internal sealed record AcceptedWebSocket(WebSocket Socket, ChatSession Session, DateTimeOffset? AuthenticationExpires)
{
    /// <summary>On the socket listener, the stream under <see cref="Socket"/>, where the connection writes its framed messages itself.</summary>
    public DirectSocketStream? Direct { get; init; }
}
