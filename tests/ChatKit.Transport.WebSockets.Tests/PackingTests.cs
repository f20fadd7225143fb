using System.Net.WebSockets;
using System.Text;
using ChatKit.Fanout;
using ChatKit.Protocol;
using ChatKit.Transport.WebSockets.Internal;

namespace ChatKit.Transport.WebSockets.Tests;

public sealed class PackingTests
{
    [Fact]
    public async Task Frames_waiting_together_go_out_packed_and_a_lone_frame_goes_alone()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        var transport = new ChatKitTransport(host.App.Services, "/chatkit", new ChatKitEndpointOptions());
        ChatSession session = await host.Sessions.OpenAsync("alice", "d1", null);
        var socket = new RecordingWebSocket();
        Task run = new WebSocketConnection(socket, session, transport).RunAsync(null, CancellationToken.None);

        // The welcome is on its way and the socket is slow: ten frames pile up meanwhile.
        await socket.FirstSendStarted.WaitAsync(TimeSpan.FromSeconds(10));
        for (int i = 0; i < 10; i++)
        {
            session.Send(ServerFrameWriter.Pong(null, i));
        }

        socket.ReleaseFirstSend();
        await WaitFor.ConditionAsync(() => socket.Messages.Count >= 2);
        string[] packed = socket.Messages[1].Split('\n');
        Assert.Equal(10, packed.Length);
        Assert.All(packed, f => Assert.StartsWith("{\"type\":\"pong\"", f, StringComparison.Ordinal));

        session.Send(ServerFrameWriter.Pong(null, 99));
        await WaitFor.ConditionAsync(() => socket.Messages.Count >= 3);
        Assert.Equal("{\"type\":\"pong\",\"time\":99}", socket.Messages[2]);

        socket.ReceiveClose();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.SentCloseStatus);
        Assert.Equal(0, host.Sessions.Count);
    }

    /// <summary>A WebSocket whose first send blocks until released, and whose receive waits for <see cref="ReceiveClose"/>.</summary>
    private sealed class RecordingWebSocket : WebSocket
    {
        private readonly TaskCompletionSource _firstSendStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _releaseFirstSend = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<WebSocketReceiveResult> _close = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _messages = [];
        private WebSocketState _state = WebSocketState.Open;

        public Task FirstSendStarted => _firstSendStarted.Task;

        public List<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public WebSocketCloseStatus? SentCloseStatus { get; private set; }

        public override WebSocketCloseStatus? CloseStatus => SentCloseStatus;

        public override string? CloseStatusDescription => null;

        public override WebSocketState State => _state;

        public override string? SubProtocol => null;

        public void ReleaseFirstSend() => _releaseFirstSend.TrySetResult();

        public void ReceiveClose()
        {
            _state = WebSocketState.CloseReceived;
            _close.TrySetResult(new WebSocketReceiveResult(0, WebSocketMessageType.Close, true, WebSocketCloseStatus.NormalClosure, ""));
        }

        public override void Abort() => _state = WebSocketState.Aborted;

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
        {
            SentCloseStatus = closeStatus;
            _state = _state == WebSocketState.CloseReceived ? WebSocketState.Closed : WebSocketState.CloseSent;
            return Task.CompletedTask;
        }

        public override void Dispose()
        {
        }

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) => _close.Task;

        public override async Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            string text = Encoding.UTF8.GetString(buffer);
            bool first;
            lock (_messages)
            {
                first = _messages.Count == 0;
                _messages.Add(text);
            }

            if (first)
            {
                _firstSendStarted.TrySetResult();
                await _releaseFirstSend.Task;
            }
        }
    }
}
