using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Features.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>
/// ChatKit's WebSocket handshake on a connection that no ASP.NET Core request carries: Kestrel's (<c>ListenOptions.UseChatKit()</c>)
/// or a socket that ChatKit accepted itself (<c>AddSocketListener</c>). It reads the upgrade request itself and runs it
/// through the same handshake as <c>MapChatKit</c> (the host's default authentication scheme, origin, device and cursor
/// checks, the same refusals) on an <see cref="HttpContext"/> and a service scope that live only for the handshake.
/// After the 101 the connection keeps its socket and its session, and nothing of ASP.NET Core's request (headers,
/// features, middleware frames, the authentication result).
/// </summary>
internal sealed class UpgradeHandshake
{
    /// <summary>Kestrel's default limit for a request's headers.</summary>
    private const int MaxRequestHeadBytes = 32 * 1024;

    private const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Kestrel's default time for a client to send its request headers.</summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    private readonly IServiceProvider _services;
    private readonly string _pattern;
    private readonly string _listener;
    private readonly PathString _path;
    private readonly Endpoint _endpoint;
    private ChatKitTransport? _transport;

    /// <param name="services">The host's services.</param>
    /// <param name="pattern">The path of the WebSocket endpoint, as given to <c>MapChatKit</c>.</param>
    /// <param name="listener">How the host asked for this listener, for the error when <c>MapChatKit</c> is missing.</param>
    public UpgradeHandshake(IServiceProvider services, string pattern, string listener)
    {
        _services = services;
        _pattern = pattern;
        _listener = listener;
        _path = new PathString("/" + pattern.Trim('/'));

        // Marks the handshake's context as a ChatKit endpoint, as routing does, so that ChatKitAccessToken reads ?access_token=.
        _endpoint = new Endpoint(null, new EndpointMetadataCollection(new ChatKitEndpointMetadata(pattern)), "ChatKit WebSocket (" + listener + ")");
    }

    /// <summary>
    /// Runs one connection: the handshake (refusals answered and the connection left to the caller to close), then,
    /// once upgraded, the session until the WebSocket ends. <paramref name="connectionClosed"/> aborts both.
    /// </summary>
    public async Task RunAsync(UpgradeConnection connection, CancellationToken connectionClosed)
    {
        ChatKitTransport transport = _transport ??= ChatKitTransport.Find(_services, _pattern)
            ?? throw new InvalidOperationException($"{_listener} needs app.MapChatKit(\"{_pattern}\") on the same host.");

        AcceptedWebSocket? accepted;
        using (var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(connectionClosed))
        {
            handshakeTimeout.CancelAfter(HandshakeTimeout);
            try
            {
                accepted = await HandshakeAsync(transport, connection, handshakeTimeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (handshakeTimeout.IsCancellationRequested)
            {
                return;
            }
        }

        if (accepted is not null)
        {
            await transport.RunWebSocketAsync(accepted, connectionClosed).ConfigureAwait(false);
        }
    }

    private async Task<AcceptedWebSocket?> HandshakeAsync(ChatKitTransport transport, UpgradeConnection connection, CancellationToken cancellationToken)
    {
        PipeWriter output = connection.Transport.Output;
        string? head = await ReadHeadAsync(connection.Transport.Input, cancellationToken).ConfigureAwait(false);
        if (head is null)
        {
            await WriteResponseAsync(output, StatusCodes.Status400BadRequest, null, default).ConfigureAwait(false);
            return null;
        }

        await using AsyncServiceScope scope = _services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, RequestAborted = cancellationToken };
        if (!TryFillRequest(context, head, connection))
        {
            await WriteResponseAsync(output, StatusCodes.Status400BadRequest, null, default).ConfigureAwait(false);
            return null;
        }

        if (!context.Request.Path.Equals(_path, StringComparison.OrdinalIgnoreCase))
        {
            await WriteResponseAsync(output, StatusCodes.Status404NotFound, null, default).ConfigureAwait(false);
            return null;
        }

        context.SetEndpoint(_endpoint);
        var body = new MemoryStream();
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        var upgrade = new UpgradeFeature(context.Request, connection);
        context.Features.Set<IHttpWebSocketFeature>(upgrade);
        await AuthenticateAsync(context).ConfigureAwait(false);

        AcceptedWebSocket? accepted = await transport.AcceptAsync(context).ConfigureAwait(false);
        if (accepted is null)
        {
            await context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
            await WriteResponseAsync(output, context.Response.StatusCode, context.Response.Headers, body.GetBuffer().AsMemory(0, (int)body.Length)).ConfigureAwait(false);
            return null;
        }

        return accepted with { Direct = upgrade.WebSocketStream as DirectSocketStream };
    }

    /// <summary>What the host's authentication middleware does: the default scheme's result becomes the user.</summary>
    private static async Task AuthenticateAsync(HttpContext context)
    {
        IAuthenticationSchemeProvider? schemes = context.RequestServices.GetService<IAuthenticationSchemeProvider>();
        if (schemes is null || await schemes.GetDefaultAuthenticateSchemeAsync().ConfigureAwait(false) is not { } scheme)
        {
            return;
        }

        AuthenticateResult result = await context.AuthenticateAsync(scheme.Name).ConfigureAwait(false);
        if (result.Principal is not null)
        {
            context.User = result.Principal;
        }

        if (result.Succeeded)
        {
            context.Features.Set<IAuthenticateResultFeature>(new AuthenticateResultFeature { AuthenticateResult = result });
        }
    }

    /// <summary>Reads the request line and headers; <see langword="null"/> when the client ends or exceeds the limit first.</summary>
    private static async Task<string?> ReadHeadAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> head, "\r\n\r\n"u8, advancePastDelimiter: true) && head.Length <= MaxRequestHeadBytes)
            {
                string text = Encoding.Latin1.GetString(head);
                input.AdvanceTo(reader.Position);
                return text;
            }

            if (buffer.Length > MaxRequestHeadBytes || result.IsCompleted || result.IsCanceled)
            {
                input.AdvanceTo(buffer.End);
                return null;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool TryFillRequest(DefaultHttpContext context, string head, UpgradeConnection connection)
    {
        string[] lines = head.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine is not [{ Length: > 0 } method, ['/', ..] target, "HTTP/1.1"])
        {
            return false;
        }

        HttpRequest request = context.Request;
        request.Method = method;
        request.Protocol = "HTTP/1.1";
        request.Scheme = connection.IsHttps ? "https" : "http";
        int query = target.IndexOf('?', StringComparison.Ordinal);
        request.Path = PathString.FromUriComponent(query < 0 ? target : target[..query]);
        request.QueryString = query < 0 ? QueryString.Empty : QueryString.FromUriComponent(target[query..]);
        for (int i = 1; i < lines.Length; i++)
        {
            int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return false;
            }

            request.Headers.Append(lines[i][..colon].Trim(), lines[i][(colon + 1)..].Trim());
        }

        if (connection.RemoteEndPoint is IPEndPoint remote)
        {
            context.Connection.RemoteIpAddress = remote.Address;
            context.Connection.RemotePort = remote.Port;
        }

        if (connection.LocalEndPoint is IPEndPoint local)
        {
            context.Connection.LocalIpAddress = local.Address;
            context.Connection.LocalPort = local.Port;
        }

        return true;
    }

    private static async Task WriteResponseAsync(PipeWriter output, int status, IHeaderDictionary? headers, ReadOnlyMemory<byte> body)
    {
        var head = new StringBuilder();
        head.Append("HTTP/1.1 ").Append(status).Append(' ').Append(ReasonPhrases.GetReasonPhrase(status)).Append("\r\n");
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in headers ?? new HeaderDictionary())
        {
            if (!string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                foreach (string? value in header.Value)
                {
                    head.Append(header.Key).Append(": ").Append(value).Append("\r\n");
                }
            }
        }

        head.Append("Content-Length: ").Append(body.Length).Append("\r\nConnection: close\r\n\r\n");
        output.Write(Encoding.Latin1.GetBytes(head.ToString()));
        output.Write(body.Span);
        await output.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>The RFC 6455 server handshake on the raw connection.</summary>
    private sealed class UpgradeFeature(HttpRequest request, UpgradeConnection connection) : IHttpWebSocketFeature
    {
        /// <summary>Once accepted, the stream the WebSocket runs on.</summary>
        public Stream? WebSocketStream { get; private set; }

        public bool IsWebSocketRequest =>
            HttpMethods.IsGet(request.Method)
            && HasToken(request.Headers.Connection, "upgrade")
            && HasToken(request.Headers.Upgrade, "websocket")
            && request.Headers.SecWebSocketVersion == "13"
            && IsValidKey(request.Headers.SecWebSocketKey);

        public async Task<WebSocket> AcceptAsync(WebSocketAcceptContext context)
        {
            string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(request.Headers.SecWebSocketKey.ToString() + WebSocketGuid)));
            var head = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ");
            head.Append(accept).Append("\r\n");
            if (context.SubProtocol is not null)
            {
                head.Append("Sec-WebSocket-Protocol: ").Append(context.SubProtocol).Append("\r\n");
            }

            head.Append("\r\n");
            connection.Transport.Output.Write(Encoding.ASCII.GetBytes(head.ToString()));
            await connection.Transport.Output.FlushAsync().ConfigureAwait(false);

            // No keep-alive, as on MapChatKit's endpoint: the client's ping frame is the heartbeat.
            WebSocketStream = connection.OpenWebSocketStream();
            return WebSocket.CreateFromStream(WebSocketStream, new WebSocketCreationOptions
            {
                IsServer = true,
                SubProtocol = context.SubProtocol,
                KeepAliveInterval = TimeSpan.Zero,
            });
        }

        private static bool HasToken(Microsoft.Extensions.Primitives.StringValues values, string token)
        {
            foreach (string? value in values)
            {
                foreach (string part in (value ?? "").Split(','))
                {
                    if (string.Equals(part.Trim(), token, StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static bool IsValidKey(string? key)
        {
            Span<byte> decoded = stackalloc byte[24];
            return key is { Length: 24 } && Convert.TryFromBase64String(key, decoded, out int length) && length == 16;
        }
    }

    private sealed class AuthenticateResultFeature : IAuthenticateResultFeature
    {
        public AuthenticateResult? AuthenticateResult { get; set; }
    }
}

/// <summary>A connection to upgrade, from whichever listener accepted it.</summary>
/// <param name="Transport">What the handshake reads the request from and writes its answer to.</param>
/// <param name="RemoteEndPoint">The client's address.</param>
/// <param name="LocalEndPoint">The listener's address.</param>
/// <param name="IsHttps">Whether the connection is TLS.</param>
/// <param name="OpenWebSocketStream">Once the 101 is written, the stream the WebSocket runs on.</param>
internal sealed record UpgradeConnection(IDuplexPipe Transport, EndPoint? RemoteEndPoint, EndPoint? LocalEndPoint, bool IsHttps, Func<Stream> OpenWebSocketStream);
