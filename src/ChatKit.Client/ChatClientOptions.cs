using System.Net.WebSockets;
using ChatKit.Protocol;

namespace ChatKit.Client;

/// <summary>Settings of a <see cref="ChatClient"/>. Every default is stated on its property.</summary>
public sealed class ChatClientOptions
{
    /// <summary>
    /// The WebSocket endpoint, for example <c>ws://127.0.0.1:5000/chatkit</c>. <c>http</c>/<c>https</c> are turned
    /// into <c>ws</c>/<c>wss</c>. Required unless <see cref="DiscoveryUri"/> is set.
    /// </summary>
    public Uri? ServerUri { get; set; }

    /// <summary>This device's name: 1–64 characters of <c>A–Z a–z 0–9 . _ -</c>. Required.</summary>
    public string Device { get; set; } = "";

    /// <summary>
    /// Returns the bearer token for the next connection attempt (called before every connect and reconnect, so it
    /// can refresh an expired token); <see langword="null"/> sends none. Default: none.
    /// </summary>
    public Func<CancellationToken, ValueTask<string?>>? AccessTokenProvider { get; set; }

    /// <summary>How the token travels. Default <see cref="Client.AccessTokenTransport.Header"/> (the query string in a browser).</summary>
    public AccessTokenTransport AccessTokenTransport { get; set; } = AccessTokenTransport.Header;

    /// <summary>Where the device cursor is kept. Default: a new <see cref="InMemoryCursorStore"/>.</summary>
    public ICursorStore? CursorStore { get; set; }

    /// <summary>Whether a lost connection is reopened automatically. Default <see langword="true"/>.</summary>
    public bool AutoReconnect { get; set; } = true;

    /// <summary>The backoff of automatic reconnects. Default: 250 ms to 30 s with full jitter, for ever.</summary>
    public ChatReconnectPolicy ReconnectPolicy { get; set; } = new();

    /// <summary>
    /// Optional service discovery endpoint (<c>GET {base}/chatkit/discover</c>, PROTOCOL.md section 8), asked before
    /// every connect for the node with the most spare capacity; when it fails, <see cref="ServerUri"/> is used.
    /// Default: none.
    /// </summary>
    public Uri? DiscoveryUri { get; set; }

    /// <summary>How long opening a connection (upgrade and <c>welcome</c>) may take. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a request may take in all, including waiting for a reconnect and retries on the new connection.
    /// Default 30 s. A request that runs out of time throws <see cref="TimeoutException"/>.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle client sends <c>ping</c>. Default <see langword="null"/>: the server's <c>heartbeatMs</c>.</summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>
    /// How long the client waits for any frame after a heartbeat <c>ping</c> before it calls the connection dead
    /// and reconnects. Default <see langword="null"/>: the heartbeat interval.
    /// </summary>
    public TimeSpan? HeartbeatTimeout { get; set; }

    /// <summary>The largest WebSocket message accepted from the server; a larger one drops the connection. Default 32 MiB.</summary>
    public int MaxReceiveMessageBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// How many received events may wait for their handlers before the client stops reading from the socket
    /// (back-pressure: the server then closes a session that cannot keep up, and the client resumes from its
    /// cursor). Default 10,000.
    /// </summary>
    public int EventQueueCapacity { get; set; } = 10_000;

    /// <summary>Whether to offer the <c>chatkit.v1</c> subprotocol. Default <see langword="true"/>.</summary>
    public bool OfferSubProtocol { get; set; } = true;

    /// <summary>Adjusts the <see cref="ClientWebSocketOptions"/> of every connection (proxy, certificates…). Default: none.</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    /// <summary>The handler for discovery requests. Default: a <see cref="SocketsHttpHandler"/>.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; set; }

    internal void Validate()
    {
        if (ServerUri is null && DiscoveryUri is null)
        {
            throw new ArgumentException("ChatClientOptions.ServerUri (or DiscoveryUri) is required, for example ws://127.0.0.1:5000/chatkit.");
        }

        if (!ProtocolLimits.IsValidDevice(Device))
        {
            throw new ArgumentException($"ChatClientOptions.Device must be 1–{ProtocolLimits.MaxDeviceLength} characters of A–Z a–z 0–9 . _ -; got '{Device}'.");
        }

        ArgumentNullException.ThrowIfNull(ReconnectPolicy);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReceiveMessageBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(EventQueueCapacity, 1);
    }
}
