using System.Text;
using System.Text.Json;
using ChatKit.Fanout;
using ChatKit.Ids;
using ChatKit.Limits;
using ChatKit.Presence;
using ChatKit.Protocol;
using ChatKit.Push;
using ChatKit.Sync;
using Microsoft.Extensions.Options;

namespace ChatKit.Messaging;

/// <summary>
/// The engine (DESIGN.md section 3, steps 2–7): validates, authorizes, rate-limits, runs the host's filters, takes
/// an id, commits through the <see cref="IMessageStore"/>, and hands what was appended to live delivery.
/// </summary>
internal sealed class ChatEngine : IChatEngine
{
    private const int MaxPushTokenLength = 4096;
    private static readonly JsonDocumentOptions MetaParseOptions = new() { MaxDepth = ProtocolLimits.MaxJsonDepth };

    private readonly IMessageStore _store;
    private readonly IIdGenerator _ids;
    private readonly TimeProvider _clock;
    private readonly ChatKitOptions _options;
    private readonly IChatAuthorizer _authorizer;
    private readonly IMessageFilter[] _filters;
    private readonly UserRateLimiter _rateLimiter;
    private readonly LiveDelivery _delivery;
    private readonly PresenceService _presence;
    private readonly SessionManager _sessions;
    private readonly InboxWaiters _waiters;
    private readonly IPushTokenStore _pushTokens;
    private readonly PushDispatcher _push;

    public ChatEngine(IMessageStore store, IIdGenerator ids, TimeProvider clock, IOptions<ChatKitOptions> options,
        IChatAuthorizer authorizer, IEnumerable<IMessageFilter> filters, UserRateLimiter rateLimiter, LiveDelivery delivery,
        PresenceService presence, SessionManager sessions, InboxWaiters waiters, IPushTokenStore pushTokens, PushDispatcher push)
    {
        _store = store;
        _ids = ids;
        _clock = clock;
        _options = options.Value;
        _authorizer = authorizer;
        _filters = filters.ToArray();
        _rateLimiter = rateLimiter;
        _delivery = delivery;
        _presence = presence;
        _sessions = sessions;
        _waiters = waiters;
        _pushTokens = pushTokens;
        _push = push;
    }

    public async Task<ChatMessage> SendAsync(SendMessageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireUser(request.From, "from");
        RequireDevice(request.Device);
        RequireClientMsgId(request.ClientMsgId);
        ValidateBody(request.Body);
        ValidateMeta(request.MetaJson);

        string channelId;
        (string, string)? direct = null;
        if (request.To is not null == request.ChannelId is not null)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "Give exactly one of 'to' (a user) and 'channel'.");
        }

        if (request.To is { } to)
        {
            RequireUser(to, "to");
            if (!await _authorizer.CanMessageAsync(request.From, to, cancellationToken).ConfigureAwait(false))
            {
                throw new ChatException(ChatErrorCode.Forbidden, $"{request.From} may not message {to}.");
            }

            channelId = ChannelIds.Direct(request.From, to);
            direct = string.CompareOrdinal(request.From, to) <= 0 ? (request.From, to) : (to, request.From);
        }
        else
        {
            channelId = RequireChannel(request.ChannelId);
        }

        RequirePermit(request.From);
        string body = request.Body;
        string? metaJson = request.MetaJson;
        if (_filters.Length > 0)
        {
            var filtered = new MessageFilterContext(request.From, request.Device, channelId, body, metaJson);
            await RunFiltersAsync(filtered, cancellationToken).ConfigureAwait(false);
            body = filtered.Body;
            metaJson = filtered.MetaJson;
        }

        var draft = new MessageDraft(_ids.NextId(), channelId, direct, request.From, request.Device, body,
            metaJson, request.ClientMsgId, _clock.GetUtcNow());
        return await CommitAsync(draft, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ChatMessage> SendSystemMessageAsync(string channelId, string body, string? metaJson = null, string? clientMsgId = null, CancellationToken cancellationToken = default)
    {
        RequireChannel(channelId);
        ValidateBody(body);
        ValidateMeta(metaJson);
        clientMsgId ??= Guid.NewGuid().ToString("N");
        RequireClientMsgId(clientMsgId);
        var draft = new MessageDraft(_ids.NextId(), channelId, null, _options.SystemUserId, "system", body, metaJson,
            clientMsgId, _clock.GetUtcNow(), SkipMembershipCheck: true);
        return await CommitAsync(draft, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ChannelSummary> CreateGroupAsync(string creator, string name, IReadOnlyCollection<string> members, CancellationToken cancellationToken = default)
    {
        RequireUser(creator, "creator");
        if (string.IsNullOrWhiteSpace(name) || name.Length > ProtocolLimits.MaxGroupNameLength)
        {
            throw new ChatException(ChatErrorCode.BadRequest, $"name must be 1–{ProtocolLimits.MaxGroupNameLength} characters, not blank.");
        }

        if (members is null)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "members is required (it may be empty).");
        }

        var all = new List<string> { creator };
        foreach (string m in members)
        {
            RequireUser(m, "members");
            if (!all.Contains(m, StringComparer.Ordinal))
            {
                all.Add(m);
            }
        }

        if (all.Count > _options.MaxGroupMembers)
        {
            throw new ChatException(ChatErrorCode.TooManyMembers, $"A group has at most {_options.MaxGroupMembers} members, the creator included; this one would have {all.Count}.");
        }

        foreach (string m in all.Skip(1))
        {
            await RequireMayAddAsync(creator, m, cancellationToken).ConfigureAwait(false);
        }

        RequirePermit(creator);
        var draft = new GroupDraft(ChannelIds.Group(_ids.NextId()), name, creator, all, _clock.GetUtcNow());
        ChannelChangeResult result = await _store.CreateGroupAsync(draft, cancellationToken).ConfigureAwait(false);
        await _delivery.OnAppendedAsync(result.Appended, CancellationToken.None).ConfigureAwait(false);
        return new ChannelSummary(result.Channel!, 0, 0, null);
    }

    public Task<ChannelSummary> AddMembersAsync(string actor, string channelId, IReadOnlyCollection<string> users, CancellationToken cancellationToken = default) =>
        ChangeMembersAsync(actor, channelId, users, add: true, cancellationToken);

    public Task<ChannelSummary> RemoveMembersAsync(string actor, string channelId, IReadOnlyCollection<string> users, CancellationToken cancellationToken = default) =>
        ChangeMembersAsync(actor, channelId, users, add: false, cancellationToken);

    public async Task<HistoryPage> GetHistoryAsync(string user, string channelId, long? before = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        RequireUser(user, "user");
        RequireChannel(channelId);
        int pageSize = limit ?? ProtocolLimits.DefaultHistoryLimit;
        if (pageSize is < 1 or > ProtocolLimits.MaxHistoryLimit)
        {
            throw new ChatException(ChatErrorCode.BadRequest, $"limit must be 1–{ProtocolLimits.MaxHistoryLimit}.");
        }

        if (before is < 1)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "before must be a channelSeq of at least 1.");
        }

        await RequireMemberAsync(user, channelId, cancellationToken).ConfigureAwait(false);
        return await _store.GetHistoryAsync(channelId, before, pageSize, cancellationToken).ConfigureAwait(false);
    }

    public async Task<SyncResult> SyncAsync(string user, long after, int? limit = null, TimeSpan? wait = null, CancellationToken cancellationToken = default)
    {
        RequireUser(user, "user");
        if (after < 0)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "after must be a non-negative inbox seq.");
        }

        int pageSize = limit ?? ProtocolLimits.DefaultSyncLimit;
        if (pageSize is < 1 or > ProtocolLimits.MaxSyncLimit)
        {
            throw new ChatException(ChatErrorCode.BadRequest, $"limit must be 1–{ProtocolLimits.MaxSyncLimit}.");
        }

        TimeSpan remaining = wait ?? TimeSpan.Zero;
        if (remaining < TimeSpan.Zero || remaining > TimeSpan.FromMilliseconds(ProtocolLimits.MaxWaitMs))
        {
            throw new ChatException(ChatErrorCode.BadRequest, $"waitMs must be 0–{ProtocolLimits.MaxWaitMs}.");
        }

        long started = _clock.GetTimestamp();
        while (true)
        {
            InboxPage page = await _store.ReadInboxAsync(user, after, pageSize, cancellationToken).ConfigureAwait(false);
            if (page.State.NeedsReset(after))
            {
                return new SyncResult([], page.State.Head, false, true);
            }

            TimeSpan left = remaining - _clock.GetElapsedTime(started);
            if (page.Entries.Count > 0 || left <= TimeSpan.Zero)
            {
                return new SyncResult(page.Entries, page.State.Head, page.HasMore, false);
            }

            // Wait in slices: an entry appended between the read above and the wait, or delivered on another node
            // whose bus does not reach this one, is then picked up by the next read instead of after the whole wait.
            TimeSpan slice = left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);
            await _waiters.WaitAsync(user, slice, _clock, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<ChannelSummary>> GetChannelsAsync(string user, CancellationToken cancellationToken = default)
    {
        RequireUser(user, "user");
        return await _store.GetUserChannelsAsync(user, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> MarkReadAsync(string user, string channelId, long upTo, CancellationToken cancellationToken = default)
    {
        RequireUser(user, "user");
        RequireChannel(channelId);
        if (upTo < 0)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "upTo must be a non-negative channelSeq.");
        }

        ReadMarkResult result = await _store.MarkReadAsync(user, channelId, upTo, _clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case CommitStatus.Committed:
                await _delivery.OnAppendedAsync(result.Appended, CancellationToken.None).ConfigureAwait(false);
                string[] others = result.Channel!.Members.Where(m => !string.Equals(m, user, StringComparison.Ordinal)).ToArray();
                await _delivery.SendFrameAsync(others, ServerFrameWriter.Receipt(channelId, user, upTo), null, CancellationToken.None).ConfigureAwait(false);
                return true;
            case CommitStatus.Unchanged:
                return false;
            case CommitStatus.OutOfRange:
                throw new ChatException(ChatErrorCode.BadRequest, $"upTo {upTo} is past the last message of {channelId} ({result.Channel?.LastSeq}).");
            default:
                throw StatusError(result.Status, user, channelId);
        }
    }

    public async Task TypingAsync(string user, string channelId, CancellationToken cancellationToken = default)
    {
        RequireUser(user, "user");
        RequireChannel(channelId);
        ChatChannel channel = await RequireMemberAsync(user, channelId, cancellationToken).ConfigureAwait(false);
        RequirePermit(user);
        string[] others = channel.Members.Where(m => !string.Equals(m, user, StringComparison.Ordinal)).ToArray();
        await _delivery.SendFrameAsync(others, ServerFrameWriter.Typing(channelId, user), null, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PresenceInfo>> GetPresenceAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken = default) =>
        await _presence.GetAsync(RequireUsers(users), cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<PresenceInfo>> SubscribePresenceAsync(ChatSession session, IReadOnlyCollection<string> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return await _presence.SubscribeAsync(session, RequireUsers(users), cancellationToken).ConfigureAwait(false);
    }

    public void UnsubscribePresence(ChatSession session, IReadOnlyCollection<string> users)
    {
        ArgumentNullException.ThrowIfNull(session);
        _presence.Unsubscribe(session, RequireUsers(users));
    }

    public void Touch(ChatSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _presence.Touch(session);
    }

    public async Task RegisterPushTokenAsync(string user, string device, string provider, string token, CancellationToken cancellationToken = default)
    {
        PushToken binding = ValidatePushToken(user, device, provider, token);
        if (!_push.Supports(provider))
        {
            throw new ChatException(ChatErrorCode.BadRequest, $"Push provider '{provider}' is not enabled on this server.");
        }

        await _pushTokens.RegisterAsync(binding, cancellationToken).ConfigureAwait(false);
    }

    public async Task UnregisterPushTokenAsync(string user, string device, string provider, string token, CancellationToken cancellationToken = default) =>
        await _pushTokens.UnregisterAsync(ValidatePushToken(user, device, provider, token), cancellationToken).ConfigureAwait(false);

    public async Task<bool> DeleteMessageAsync(string channelId, long channelSeq, CancellationToken cancellationToken = default)
    {
        RequireChannel(channelId);
        if (channelSeq < 1)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "channelSeq must be at least 1.");
        }

        return await _store.DeleteMessageAsync(channelId, channelSeq, cancellationToken).ConfigureAwait(false);
    }

    public int Logout(string user, string device)
    {
        RequireUser(user, "user");
        RequireDevice(device);
        _presence.EndGrace(user, device);
        return _sessions.CloseDevice(user, device);
    }

    private async ValueTask<ChatMessage> CommitAsync(MessageDraft draft, CancellationToken cancellationToken)
    {
        CommitResult result = await _store.CommitAsync(draft, cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case CommitStatus.Committed:
                // The message is durable: delivery must not be cancelled half-way by the caller.
                await _delivery.OnAppendedAsync(result.Appended, CancellationToken.None).ConfigureAwait(false);
                return result.Message!;
            case CommitStatus.Duplicate:
                return result.Message!;
            default:
                throw StatusError(result.Status, draft.From, draft.ChannelId);
        }
    }

    private async Task<ChannelSummary> ChangeMembersAsync(string actor, string channelId, IReadOnlyCollection<string> users, bool add, CancellationToken cancellationToken)
    {
        RequireUser(actor, "actor");
        RequireChannel(channelId);
        if (!ChannelIds.IsGroup(channelId))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "Members can be changed only in groups; a direct channel always has its two users.");
        }

        IReadOnlyList<string> distinct = RequireUsers(users);
        if (distinct.Count == 0)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "users must name at least one user.");
        }

        if (add && distinct.Count > _options.MaxGroupMembers)
        {
            throw new ChatException(ChatErrorCode.TooManyMembers, $"A group has at most {_options.MaxGroupMembers} members.");
        }

        if (add)
        {
            foreach (string u in distinct)
            {
                await RequireMayAddAsync(actor, u, cancellationToken).ConfigureAwait(false);
            }
        }

        RequirePermit(actor);
        var change = new MembershipChange(channelId, actor, distinct, add, _options.MaxGroupMembers, _clock.GetUtcNow());
        ChannelChangeResult result = await _store.ChangeMembersAsync(change, cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case CommitStatus.Committed:
                await _delivery.OnAppendedAsync(result.Appended, CancellationToken.None).ConfigureAwait(false);
                break;
            case CommitStatus.Unchanged:
                break;
            case CommitStatus.TooManyMembers:
                throw new ChatException(ChatErrorCode.TooManyMembers, $"A group has at most {_options.MaxGroupMembers} members.");
            case CommitStatus.Forbidden:
                throw new ChatException(ChatErrorCode.Forbidden, $"Only the owner of {channelId} may {(add ? "add" : "remove")} members (a member may remove only itself).");
            default:
                throw StatusError(result.Status, actor, channelId);
        }

        ChatChannel channel = result.Channel!;
        foreach (ChannelSummary s in await _store.GetUserChannelsAsync(actor, cancellationToken).ConfigureAwait(false))
        {
            if (s.Channel.Id == channelId)
            {
                return s;
            }
        }

        return new ChannelSummary(channel, 0, 0, null);
    }

    private async Task RunFiltersAsync(MessageFilterContext context, CancellationToken cancellationToken)
    {
        foreach (IMessageFilter filter in _filters)
        {
            MessageFilterResult verdict = await filter.OnSendingAsync(context, cancellationToken).ConfigureAwait(false);
            if (!verdict.Accepted)
            {
                throw new ChatException(verdict.Code, verdict.Reason ?? "The message was rejected.");
            }
        }

        ValidateBody(context.Body);
        ValidateMeta(context.MetaJson);
    }

    private async Task<ChatChannel> RequireMemberAsync(string user, string channelId, CancellationToken cancellationToken)
    {
        ChatChannel? channel = await _store.GetChannelAsync(channelId, cancellationToken).ConfigureAwait(false);
        if (channel is null)
        {
            throw new ChatException(ChatErrorCode.NotFound, $"Channel {channelId} does not exist.");
        }

        if (!channel.HasMember(user))
        {
            throw new ChatException(ChatErrorCode.Forbidden, $"{user} is not a member of {channelId}.");
        }

        return channel;
    }

    private async Task RequireMayAddAsync(string actor, string user, CancellationToken cancellationToken)
    {
        if (!await _authorizer.CanAddMemberAsync(actor, user, cancellationToken).ConfigureAwait(false))
        {
            throw new ChatException(ChatErrorCode.Forbidden, $"{actor} may not add {user}.");
        }
    }

    private void RequirePermit(string user)
    {
        if (!_rateLimiter.TryAcquire(user, out TimeSpan retryAfter))
        {
            throw new ChatException(ChatErrorCode.RateLimited, "Too many requests; slow down.", retryAfter);
        }
    }

    private static ChatException StatusError(CommitStatus status, string user, string channelId) => status switch
    {
        CommitStatus.ChannelNotFound => new ChatException(ChatErrorCode.NotFound, $"Channel {channelId} does not exist."),
        CommitStatus.NotMember => new ChatException(ChatErrorCode.Forbidden, $"{user} is not a member of {channelId}."),
        CommitStatus.TooManyMembers => new ChatException(ChatErrorCode.TooManyMembers, "The group is full."),
        CommitStatus.Forbidden => new ChatException(ChatErrorCode.Forbidden, $"{user} may not change {channelId}."),
        _ => new ChatException(ChatErrorCode.Internal, $"Unexpected store result {status}."),
    };

    private static void RequireUser(string? user, string field)
    {
        if (!ProtocolLimits.IsValidUserId(user))
        {
            throw new ChatException(ChatErrorCode.BadRequest, $"{field} must be a user id of 1–64 characters of A–Z a–z 0–9 . _ - @ +.");
        }
    }

    private static IReadOnlyList<string> RequireUsers(IReadOnlyCollection<string>? users)
    {
        if (users is null)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "users is required.");
        }

        if (users.Count > ProtocolLimits.MaxPresenceSubscriptions)
        {
            throw new ChatException(ChatErrorCode.BadRequest, $"users may name at most {ProtocolLimits.MaxPresenceSubscriptions} users.");
        }

        var distinct = new List<string>(users.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string u in users)
        {
            RequireUser(u, "users");
            if (seen.Add(u))
            {
                distinct.Add(u);
            }
        }

        return distinct;
    }

    private static void RequireDevice(string? device)
    {
        if (!ProtocolLimits.IsValidDevice(device))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "device must be 1–64 characters of A–Z a–z 0–9 . _ -.");
        }
    }

    private static string RequireChannel(string? channelId)
    {
        if (!ChannelIds.IsValid(channelId))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "channel must be a channel id (d:USER:USER or g-NUMBER).");
        }

        return channelId!;
    }

    private static void RequireClientMsgId(string? clientMsgId)
    {
        if (string.IsNullOrEmpty(clientMsgId) || clientMsgId.Length > ProtocolLimits.MaxClientMsgIdLength || HasControlCharacter(clientMsgId))
        {
            throw new ChatException(ChatErrorCode.BadRequest, $"clientMsgId must be 1–{ProtocolLimits.MaxClientMsgIdLength} characters without control characters.");
        }
    }

    // A loop rather than Any(char.IsControl), which boxes the string's enumerator on every send.
    private static bool HasControlCharacter(string text)
    {
        foreach (char c in text)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    private void ValidateBody(string? body)
    {
        if (string.IsNullOrEmpty(body))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "body must be at least 1 character.");
        }

        if (body.Length > _options.MaxBodyChars)
        {
            throw new ChatException(ChatErrorCode.TooLarge, $"body has {body.Length} characters; the limit is {_options.MaxBodyChars}.");
        }
    }

    private void ValidateMeta(string? metaJson)
    {
        if (metaJson is null)
        {
            return;
        }

        int bytes = Encoding.UTF8.GetByteCount(metaJson);
        if (bytes > _options.MaxMetaBytes)
        {
            throw new ChatException(ChatErrorCode.TooLarge, $"meta has {bytes} bytes; the limit is {_options.MaxMetaBytes}.");
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(metaJson, MetaParseOptions);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ChatException(ChatErrorCode.BadRequest, "meta must be a JSON object.");
            }
        }
        catch (JsonException)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "meta must be a JSON object.");
        }
    }

    private static PushToken ValidatePushToken(string user, string device, string provider, string token)
    {
        RequireUser(user, "user");
        RequireDevice(device);
        if (string.IsNullOrEmpty(provider) || provider.Length > 32 || !provider.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "provider must be 1–32 characters of a–z 0–9 -.");
        }

        if (string.IsNullOrEmpty(token) || token.Length > MaxPushTokenLength)
        {
            throw new ChatException(ChatErrorCode.BadRequest, $"token must be 1–{MaxPushTokenLength} characters.");
        }

        return new PushToken(user, device, provider, token);
    }
}
