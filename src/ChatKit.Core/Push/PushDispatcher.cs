using System.Threading.Channels;
using ChatKit.Internal;
using ChatKit.Messaging;
using ChatKit.Presence;
using ChatKit.Sync;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatKit.Push;

/// <summary>
/// Push to offline users (DESIGN.md section 6). For each new <c>message</c> inbox entry of a user other than its
/// sender who is offline and was not active within <see cref="ChatKitOptions.PushActivityGrace"/>, every push token
/// of the user gets one notification, collapsed per channel, with the unread badge. It runs in the background and
/// never delays a chat message: the queue is bounded and drops (and logs) when full.
/// </summary>
internal sealed class PushDispatcher
{
    private const int QueueCapacity = 10_000;
    private const int MaxAttempts = 3;
    private static readonly BoundedChannelOptions QueueOptions = new(QueueCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    };

    private readonly Channel<(string User, ChatMessage Message)> _queue = Channel.CreateBounded<(string, ChatMessage)>(QueueOptions);
    private readonly HashSet<(string User, string Channel)> _pending = [];
    private readonly Dictionary<string, IPushSender> _senders;
    private readonly IPushTokenStore _tokens;
    private readonly IPresenceStore _presence;
    private readonly IMessageStore _store;
    private readonly TimeProvider _clock;
    private readonly ChatKitOptions _options;
    private readonly ILogger _logger;

    public PushDispatcher(IEnumerable<IPushSender> senders, IPushTokenStore tokens, IPresenceStore presence, IMessageStore store,
        TimeProvider clock, IOptions<ChatKitOptions> options, ILogger<PushDispatcher> logger)
    {
        _senders = senders.ToDictionary(s => s.Provider, StringComparer.Ordinal);
        _tokens = tokens;
        _presence = presence;
        _store = store;
        _clock = clock;
        _options = options.Value;
        _logger = logger;
    }

    public bool Enabled => _senders.Count > 0;

    /// <summary>Whether a provider has a sender here (clients may only register tokens for those).</summary>
    public bool Supports(string provider) => _senders.ContainsKey(provider);

    public void OnAppended(IReadOnlyList<AppendedEntry> entries)
    {
        if (!Enabled)
        {
            return;
        }

        foreach (AppendedEntry e in entries)
        {
            if (e.Entry.Item is { Kind: InboxEntryKind.Message, Message: { } m } && !string.Equals(m.From, e.User, StringComparison.Ordinal))
            {
                lock (_pending)
                {
                    // Collapse: one queued notification per (user, channel) is enough; it reads the badge when sent.
                    if (!_pending.Add((e.User, m.ChannelId)))
                    {
                        continue;
                    }
                }

                if (!_queue.Writer.TryWrite((e.User, m)))
                {
                    lock (_pending)
                    {
                        _pending.Remove((e.User, m.ChannelId));
                    }

                    Log.PushQueueFull(_logger, e.User);
                }
            }
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await foreach ((string user, ChatMessage message) in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            lock (_pending)
            {
                _pending.Remove((user, message.ChannelId));
            }

            try
            {
                await DispatchAsync(user, message, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.BackgroundFailed(_logger, "push dispatch", ex);
            }
        }
    }

    private async Task DispatchAsync(string user, ChatMessage message, CancellationToken cancellationToken)
    {
        IReadOnlyList<PresenceInfo> presence = await _presence.GetAsync([user], cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = _clock.GetUtcNow();
        if (presence[0].Online || (presence[0].LastActiveAt is { } active && now - active < _options.PushActivityGrace))
        {
            return;
        }

        IReadOnlyList<PushToken> tokens = await _tokens.GetTokensAsync(user, cancellationToken).ConfigureAwait(false);
        if (tokens.Count == 0)
        {
            return;
        }

        long badge = 0;
        foreach (ChannelSummary c in await _store.GetUserChannelsAsync(user, cancellationToken).ConfigureAwait(false))
        {
            badge += c.Unread;
        }

        var notification = new PushNotification(user, message.ChannelId, message.Id, message.ChannelSeq, message.From, badge,
            _options.PushIncludesPreview ? message.Body : null);
        foreach (PushToken token in tokens)
        {
            if (_senders.TryGetValue(token.Provider, out IPushSender? sender))
            {
                await SendWithRetryAsync(sender, token, notification, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task SendWithRetryAsync(IPushSender sender, PushToken token, PushNotification notification, CancellationToken cancellationToken)
    {
        for (int attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            PushResult result;
            Exception? error = null;
            try
            {
                result = await sender.SendAsync(token, notification, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                result = PushResult.RetryLater;
                error = ex;
            }

            switch (result)
            {
                case PushResult.Delivered:
                    return;
                case PushResult.InvalidToken:
                    await _tokens.UnregisterAsync(token, cancellationToken).ConfigureAwait(false);
                    Log.PushTokenRemoved(_logger, token.User, token.Device);
                    return;
                default:
                    Log.PushFailed(_logger, token.Provider, token.User, attempt, error);
                    if (attempt < MaxAttempts)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(Math.Pow(4, attempt - 1)), _clock, cancellationToken).ConfigureAwait(false);
                    }

                    break;
            }
        }
    }
}
