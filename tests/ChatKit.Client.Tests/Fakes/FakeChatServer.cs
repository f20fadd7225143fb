using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatKit.Client.Tests.Fakes;

/// <summary>
/// A small ChatKit server on real Kestrel sockets for one user: welcome, an inbox with backlog after the cursor,
/// reset, live delivery, and default replies to every request. Tests intercept frames to misbehave on purpose.
/// </summary>
internal sealed class FakeChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _inboxLock = new();
    private readonly List<string> _inbox = [];
    private readonly List<FakeSession> _live = [];
    private readonly Dictionary<string, WireMessage> _sentByClientMsgId = new(StringComparer.Ordinal);
    private readonly List<WireMessage> _messages = [];
    private long _nextId = 1000;

    private FakeChatServer(WebApplication app)
    {
        _app = app;
    }

    public string User { get; set; } = "alice";

    public int HeartbeatMs { get; set; } = 15_000;

    public int MaxFrameBytes { get; set; } = 65_536;

    /// <summary>When set, the upgrade needs this bearer token (header or query), otherwise 401.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>When set, every upgrade is refused with this HTTP status.</summary>
    public int? RefuseWith { get; set; }

    /// <summary>Inbox entries kept: an older cursor gets reset.</summary>
    public int Retention { get; set; } = int.MaxValue;

    /// <summary>Whether the server sends welcome and backlog by itself.</summary>
    public bool AutoWelcome { get; set; } = true;

    /// <summary>Return true to take a frame over; the default reply is then not sent.</summary>
    public Func<FakeSession, ClientFrame, ValueTask<bool>>? Intercept { get; set; }

    public ConcurrentDictionary<string, WirePresence> Presence { get; } = new(StringComparer.Ordinal);

    public Uri Uri { get; private set; } = null!;

    public ConcurrentQueue<FakeSession> AllSessions { get; } = new();

    public Channel<FakeSession> NewSessions { get; } = Channel.CreateUnbounded<FakeSession>();

    public ConcurrentQueue<ConnectInfo> Connects { get; } = new();

    /// <summary>The Authorization header of every discovery request.</summary>
    public ConcurrentQueue<string> DiscoverAuthorization { get; } = new();

    public int StoredMessageCount
    {
        get
        {
            lock (_inboxLock)
            {
                return _messages.Count;
            }
        }
    }

    public long Head
    {
        get
        {
            lock (_inboxLock)
            {
                return _inbox.Count;
            }
        }
    }

    public static async Task<FakeChatServer> StartAsync(Action<FakeChatServer>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        var server = new FakeChatServer(app);
        configure?.Invoke(server);
        app.UseWebSockets();
        app.MapGet("/chatkit/discover", (HttpContext context) =>
        {
            server.DiscoverAuthorization.Enqueue(context.Request.Headers.Authorization.ToString());
            return Results.Text($"{{\"url\":\"{server.Uri}\",\"node\":\"fake\"}}", "application/json");
        });
        app.Map("/chatkit", server.HandleAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Uri = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/chatkit");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (FakeSession session in AllSessions)
        {
            session.Abort();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public async Task<FakeSession> NextSessionAsync(TimeSpan? timeout = null) =>
        await NewSessions.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>Appends a message entry to the inbox (and sends it to live sessions when <paramref name="deliver"/>).</summary>
    public (long Seq, WireMessage Message) AppendMessage(string channel, string from, string body, bool deliver = true)
    {
        lock (_inboxLock)
        {
            WireMessage message = NewMessage(channel, from, body, Guid.NewGuid().ToString("N"));
            _messages.Add(message);
            long seq = AppendLocked(EntryTail("message", message), deliver);
            return (seq, message);
        }
    }

    public static string Entry(long seq, WireMessage message) =>
        $"{{\"type\":\"entry\",\"seq\":{seq}{EntryTail("message", message)}";

    public static WireMessage MakeMessage(string channel, string from, string body, long channelSeq = 1) => new()
    {
        Id = (7_000_000 + channelSeq).ToString(System.Globalization.CultureInfo.InvariantCulture),
        Channel = channel,
        ChannelSeq = channelSeq,
        From = from,
        Device = "d",
        Body = body,
        ClientMsgId = "c" + channelSeq,
        SentAt = 1_764_061_200_000,
    };

    private static string EntryTail(string kind, WireMessage message) =>
        $",\"kind\":\"{kind}\",\"message\":{JsonSerializer.Serialize(message, ChatKitJsonContext.Default.WireMessage)}}}";

    private long AppendLocked(string tail, bool deliver)
    {
        long seq = _inbox.Count + 1;
        string frame = $"{{\"type\":\"entry\",\"seq\":{seq}{tail}";
        _inbox.Add(frame);
        if (deliver)
        {
            foreach (FakeSession session in _live)
            {
                session.Enqueue(frame);
            }
        }

        return seq;
    }

    private WireMessage NewMessage(string channel, string from, string body, string clientMsgId)
    {
        long channelSeq = _messages.Count(m => m.Channel == channel) + 1;
        return new WireMessage
        {
            Id = (++_nextId).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Channel = channel,
            ChannelSeq = channelSeq,
            From = from,
            Device = "fake",
            Body = body,
            ClientMsgId = clientMsgId,
            SentAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
    }

    /// <summary>Stores a send request once per clientMsgId, as the real server does, and appends its inbox entry.</summary>
    public WireMessage Store(ClientFrame frame, bool deliver)
    {
        lock (_inboxLock)
        {
            string channel = frame.Channel ?? "d-" + string.Join('-', new[] { User, frame.To ?? "" }.Order(StringComparer.Ordinal));
            if (!_sentByClientMsgId.TryGetValue(frame.ClientMsgId ?? "", out WireMessage? message))
            {
                message = NewMessage(channel, User, frame.Body ?? "", frame.ClientMsgId ?? "");
                _sentByClientMsgId[message.ClientMsgId] = message;
                _messages.Add(message);
                AppendLocked(EntryTail("message", message), deliver);
            }

            return message;
        }
    }

    /// <summary>Sends welcome and the backlog after the session's cursor, and makes the session live.</summary>
    public void Welcome(FakeSession session)
    {
        lock (_inboxLock)
        {
            long head = _inbox.Count;
            session.Enqueue(
                $"{{\"type\":\"welcome\",\"user\":\"{User}\",\"device\":\"{session.Info.Device}\",\"session\":\"s-{session.Id}\",\"node\":\"fake\"," +
                $"\"head\":{head},\"heartbeatMs\":{HeartbeatMs},\"limits\":{{\"maxFrameBytes\":{MaxFrameBytes},\"maxBodyChars\":4000,\"maxGroupMembers\":100}}}}");
            if (session.Info.After is long after)
            {
                if (after > head || head - after > Retention)
                {
                    session.Enqueue($"{{\"type\":\"reset\",\"head\":{head}}}");
                }
                else
                {
                    for (long seq = after + 1; seq <= head; seq++)
                    {
                        session.Enqueue(_inbox[(int)seq - 1]);
                    }
                }
            }

            _live.Add(session);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        string? device = context.Request.Query["device"];
        string? afterText = context.Request.Query["after"];
        string? queryToken = context.Request.Query["access_token"];
        string? header = context.Request.Headers.Authorization;
        var info = new ConnectInfo(
            device ?? "", afterText is null ? null : long.Parse(afterText, System.Globalization.CultureInfo.InvariantCulture),
            queryToken, header, context.WebSockets.WebSocketRequestedProtocols.ToArray(), DateTimeOffset.UtcNow);
        Connects.Enqueue(info);

        if (RefuseWith is int status)
        {
            context.Response.StatusCode = status;
            return;
        }

        if (RequiredToken is not null && queryToken != RequiredToken && header != "Bearer " + RequiredToken)
        {
            context.Response.StatusCode = 401;
            return;
        }

        if (!ProtocolLimits.IsValidDevice(device))
        {
            context.Response.StatusCode = 400;
            return;
        }

        string? subProtocol = info.SubProtocols.Contains(ProtocolLimits.SubProtocol) ? ProtocolLimits.SubProtocol : null;
        var socket = await context.WebSockets.AcceptWebSocketAsync(subProtocol);
        var session = new FakeSession(socket, context, info, AllSessions.Count + 1);
        AllSessions.Enqueue(session);
        if (AutoWelcome)
        {
            Welcome(session);
        }

        NewSessions.Writer.TryWrite(session);
        try
        {
            await session.RunAsync(HandleFrameAsync);
        }
        finally
        {
            lock (_inboxLock)
            {
                _live.Remove(session);
            }
        }
    }

    private async ValueTask HandleFrameAsync(FakeSession session, ClientFrame frame)
    {
        if (Intercept is { } intercept && await intercept(session, frame))
        {
            return;
        }

        string rid = JsonSerializer.Serialize(frame.Rid ?? "");
        switch (frame.Type)
        {
            case FrameTypes.Ping:
                session.Enqueue($"{{\"type\":\"pong\",\"rid\":{rid},\"time\":{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}");
                break;

            case FrameTypes.Send:
                WireMessage message = Store(frame, deliver: true);
                session.Enqueue($"{{\"type\":\"ok\",\"rid\":{rid},\"message\":{JsonSerializer.Serialize(message, ChatKitJsonContext.Default.WireMessage)}}}");
                break;

            case FrameTypes.History:
                WireMessage[] history;
                lock (_inboxLock)
                {
                    history = [.. _messages.Where(m => m.Channel == frame.Channel)];
                }

                session.Enqueue(JsonSerializer.Serialize(
                    new ServerFrame { Type = FrameTypes.Ok, Rid = frame.Rid, Messages = history, HasMore = false },
                    ChatKitJsonContext.Default.ServerFrame));
                break;

            case FrameTypes.PresenceSubscribe:
                WirePresence[] presence = [.. (frame.Users ?? []).Select(u => Presence.TryGetValue(u, out WirePresence? p) ? p : new WirePresence { User = u, Status = "offline" })];
                session.Enqueue(JsonSerializer.Serialize(
                    new ServerFrame { Type = FrameTypes.Ok, Rid = frame.Rid, Presence = presence }, ChatKitJsonContext.Default.ServerFrame));
                break;

            case FrameTypes.GroupCreate:
                var group = new WireChannel { Id = "g-1", Kind = "group", Name = frame.Name, Owner = User, Members = [User, .. frame.Members ?? []] };
                session.Enqueue($"{{\"type\":\"ok\",\"rid\":{rid},\"channel\":{JsonSerializer.Serialize(group, ChatKitJsonContext.Default.WireChannel)}}}");
                break;

            case FrameTypes.GroupAdd or FrameTypes.GroupRemove:
                var changed = new WireChannel { Id = frame.Channel ?? "", Kind = "group", Name = "g", Owner = User, Members = [User] };
                session.Enqueue($"{{\"type\":\"ok\",\"rid\":{rid},\"channel\":{JsonSerializer.Serialize(changed, ChatKitJsonContext.Default.WireChannel)}}}");
                break;

            case FrameTypes.Typing:
                break;

            default:
                session.Enqueue($"{{\"type\":\"ok\",\"rid\":{rid}}}");
                break;
        }
    }
}
