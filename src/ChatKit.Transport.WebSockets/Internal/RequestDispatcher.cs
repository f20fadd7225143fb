using ChatKit.Fanout;
using ChatKit.Messaging;
using ChatKit.Presence;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;
using ChatKit.Sync;
using Microsoft.Extensions.Logging;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>Runs one request of a WebSocket session (PROTOCOL.md section 4) and builds its reply.</summary>
internal sealed class RequestDispatcher
{
    private readonly IChatEngine _engine;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    public RequestDispatcher(IChatEngine engine, TimeProvider clock, ILogger logger)
    {
        _engine = engine;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>
    /// Runs <paramref name="frame"/>; returns the reply, or <see langword="null"/> when there is none (<c>typing</c>)
    /// or the request queued its reply itself (<c>send</c>).
    /// </summary>
    public async ValueTask<byte[]?> DispatchAsync(ChatSession session, ClientFrame frame, CancellationToken cancellationToken)
    {
        string? rid = frame.Rid;
        string type = frame.Type!;
        if (rid is null && type is not (FrameTypes.Typing or FrameTypes.Ping))
        {
            return ServerFrameWriter.Error(null, ErrorCodes.BadRequest, $"A '{type}' request needs a rid (1–{ProtocolLimits.MaxRidLength} characters).");
        }

        try
        {
            return await RunAsync(session, frame, rid, cancellationToken).ConfigureAwait(false);
        }
        catch (ChatException ex)
        {
            if (type == FrameTypes.Typing && rid is null)
            {
                return null;
            }

            return ServerFrameWriter.Error(rid, ex.WireCode, ex.Message, ReplyWriter.RetryAfterMs(ex));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.RequestFailed(_logger, type, session.Id, ex);
            return type == FrameTypes.Typing && rid is null
                ? null
                : ServerFrameWriter.Error(rid, ErrorCodes.Internal, "The server failed to handle the request.");
        }
    }

    private async ValueTask<byte[]?> RunAsync(ChatSession session, ClientFrame f, string? rid, CancellationToken cancellationToken)
    {
        string user = session.User;
        switch (f.Type)
        {
            case FrameTypes.Send:
            {
                var request = new SendMessageRequest(user, session.Device, f.To, f.Channel, f.Body!, f.ClientMsgId!, ReplyWriter.MetaJson(f.Meta));
                ChatMessage message = await _engine.SendAsync(request, cancellationToken).ConfigureAwait(false);

                // Queued here rather than returned as bytes: the send loop writes it from the message's encoding.
                session.Send(OutgoingFrame.ForSendOk(rid, message.GetUtf8Json()));
                return null;
            }

            case FrameTypes.History:
            {
                HistoryPage page = await _engine.GetHistoryAsync(user, f.Channel!, f.Before, f.Limit, cancellationToken).ConfigureAwait(false);
                return ServerFrameWriter.Ok(rid, w => ReplyWriter.WriteHistory(w, page));
            }

            case FrameTypes.Sync:
            {
                if (f.After is not long after)
                {
                    throw new ChatException(ChatErrorCode.BadRequest, "sync needs 'after' (an inbox seq; 0 for the beginning).");
                }

                SyncResult result = await _engine.SyncAsync(user, after, f.Limit, null, cancellationToken).ConfigureAwait(false);
                return ServerFrameWriter.Ok(rid, w => ReplyWriter.WriteSync(w, result));
            }

            case FrameTypes.Channels:
            {
                IReadOnlyList<ChannelSummary> channels = await _engine.GetChannelsAsync(user, cancellationToken).ConfigureAwait(false);
                return ChannelsReply(rid, channels, user);
            }

            case FrameTypes.GroupCreate:
            {
                ChannelSummary channel = await _engine.CreateGroupAsync(user, f.Name!, f.Members!, cancellationToken).ConfigureAwait(false);
                return ChannelReply(rid, channel, user);
            }

            case FrameTypes.GroupAdd:
            {
                ChannelSummary channel = await _engine.AddMembersAsync(user, f.Channel!, f.Users!, cancellationToken).ConfigureAwait(false);
                return ChannelReply(rid, channel, user);
            }

            case FrameTypes.GroupRemove:
            {
                ChannelSummary channel = await _engine.RemoveMembersAsync(user, f.Channel!, f.Users!, cancellationToken).ConfigureAwait(false);
                return ChannelReply(rid, channel, user);
            }

            case FrameTypes.Read:
            {
                if (f.UpTo is not long upTo)
                {
                    throw new ChatException(ChatErrorCode.BadRequest, "read needs 'upTo' (a channelSeq).");
                }

                await _engine.MarkReadAsync(user, f.Channel!, upTo, cancellationToken).ConfigureAwait(false);
                return ServerFrameWriter.Ok(rid);
            }

            case FrameTypes.Typing:
                await _engine.TypingAsync(user, f.Channel!, cancellationToken).ConfigureAwait(false);
                return null;

            case FrameTypes.PresenceSubscribe:
            {
                IReadOnlyList<PresenceInfo> presence = await _engine.SubscribePresenceAsync(session, f.Users!, cancellationToken).ConfigureAwait(false);
                return ServerFrameWriter.Ok(rid, w => ReplyWriter.WritePresence(w, presence));
            }

            case FrameTypes.PresenceUnsubscribe:
            {
                _engine.UnsubscribePresence(session, f.Users!);
                IReadOnlyList<PresenceInfo> presence = await _engine.GetPresenceAsync(f.Users!, cancellationToken).ConfigureAwait(false);
                return ServerFrameWriter.Ok(rid, w => ReplyWriter.WritePresence(w, presence));
            }

            case FrameTypes.PushRegister:
                await _engine.RegisterPushTokenAsync(user, session.Device, f.Provider!, f.Token!, cancellationToken).ConfigureAwait(false);
                return ServerFrameWriter.Ok(rid);

            case FrameTypes.PushUnregister:
                await _engine.UnregisterPushTokenAsync(user, session.Device, f.Provider!, f.Token!, cancellationToken).ConfigureAwait(false);
                return ServerFrameWriter.Ok(rid);

            case FrameTypes.Ping:
                return ServerFrameWriter.Pong(rid, _clock.GetUtcNow().ToUnixTimeMilliseconds());

            default:
                throw new ChatException(ChatErrorCode.BadRequest, "Unknown frame type.");
        }
    }

    // Lambdas that capture a local of RunAsync's own scope (user, rid) would make the compiler allocate their closure at
    // the top of every request, sends included: replies that need one are built here.
    private static byte[] ChannelsReply(string? rid, IReadOnlyList<ChannelSummary> channels, string viewer) =>
        ServerFrameWriter.Ok(rid, w => ReplyWriter.WriteChannels(w, channels, viewer));

    private static byte[] ChannelReply(string? rid, ChannelSummary channel, string viewer) => ServerFrameWriter.Ok(rid, w =>
    {
        w.WritePropertyName("channel"u8);
        ReplyWriter.WriteChannel(w, channel, viewer);
    });
}
