using System.Net.WebSockets;
using System.Text;
using System.Threading.Tasks.Sources;
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
        ChatSession session = await host.Sessions.OpenAsync("alice", "d1", null);
        var socket = new RecordingWebSocket(holdFirstSend: true);
        Task run = RunConnection(host, session, socket);

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

    [Fact]
    public async Task A_frame_for_an_idle_connection_is_written_at_once_by_the_thread_that_queued_it()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        ChatSession session = await host.Sessions.OpenAsync("alice", "d1", null);
        var socket = new RecordingWebSocket(holdFirstSend: false);
        Task run = RunConnection(host, session, socket);
        await WaitFor.ConditionAsync(() => socket.Messages.Count >= 1);

        // No thread-pool hop between queueing and writing: the frame is on the socket when Send returns.
        session.Send(ServerFrameWriter.Pong(null, 7));
        Assert.Equal(2, socket.Messages.Count);
        Assert.Equal(Environment.CurrentManagedThreadId, socket.SendThreads[1]);

        socket.ReceiveClose();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_write_found_pending_goes_on_with_the_queue_once_it_completes()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        ChatSession session = await host.Sessions.OpenAsync("alice", "d1", null);

        // Three frames over the pack limit each, behind the welcome: three writes, each found pending and then complete
        // when its continuation looks again, so that each continuation writes the next one (inside the first's scope).
        byte[] big = new byte[70 * 1024];
        big.AsSpan().Fill((byte)'x');
        for (int i = 0; i < 3; i++)
        {
            session.Send(big);
        }

        var socket = new RecordingWebSocket(holdFirstSend: false, completeOnSecondLook: true);
        Task run = RunConnection(host, session, socket);
        await WaitFor.ConditionAsync(() => socket.Messages.Count >= 3);
        Assert.StartsWith("{\"type\":\"welcome\"", socket.Messages[0], StringComparison.Ordinal);
        Assert.Equal(big.Length, socket.Messages[2].Length);

        socket.ReceiveClose();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.SentCloseStatus);
    }

    [Fact]
    public async Task A_sends_ok_and_the_senders_own_entry_leave_in_one_message()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        await using TestClient bob = await host.ConnectAsync("bob");

        for (int i = 1; i <= 20; i++)
        {
            int before = alice.MessagesReceived;
            await alice.OkAsync("send", new { to = "bob", body = "hi " + i, clientMsgId = "m" + i });
            await alice.WaitEntriesAsync(i);
            Assert.Equal(before + 1, alice.MessagesReceived);
        }

        await bob.WaitEntriesAsync(20);
    }

    /// <summary>Runs the transport's connection for <paramref name="session"/> over <paramref name="socket"/>.</summary>
    private static Task RunConnection(ChatKitHost host, ChatSession session, WebSocket socket) =>
        new WebSocketConnection(socket, direct: null, session, new ChatKitTransport(host.App.Services, "/chatkit", new ChatKitEndpointOptions()))
            .RunAsync(null, CancellationToken.None);

    /// <summary>
    /// A WebSocket that records what is sent and on which thread, whose first send may block until released, and whose
    /// receive waits for <see cref="ReceiveClose"/>.
    /// </summary>
    private sealed class RecordingWebSocket(bool holdFirstSend, bool completeOnSecondLook = false) : WebSocket
    {
        private readonly TaskCompletionSource _firstSendStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _releaseFirstSend = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<WebSocketReceiveResult> _close = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _messages = [];
        private readonly List<int> _sendThreads = [];
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

        public List<int> SendThreads
        {
            get
            {
                lock (_messages)
                {
                    return [.. _sendThreads];
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

        public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            if (!completeOnSecondLook)
            {
                return base.SendAsync(buffer, messageType, endOfMessage, cancellationToken);
            }

            Record(Encoding.UTF8.GetString(buffer.Span));
            return new ValueTask(new CompleteOnSecondLook(), 0);
        }

        public override async Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            bool first = Record(Encoding.UTF8.GetString(buffer));
            if (first && holdFirstSend)
            {
                _firstSendStarted.TrySetResult();
                await _releaseFirstSend.Task;
            }
        }

        private bool Record(string text)
        {
            lock (_messages)
            {
                _messages.Add(text);
                _sendThreads.Add(Environment.CurrentManagedThreadId);
                return _messages.Count == 1;
            }
        }

        /// <summary>A write that looks pending the first time it is asked and complete after that.</summary>
        private sealed class CompleteOnSecondLook : IValueTaskSource
        {
            private int _looks;

            public ValueTaskSourceStatus GetStatus(short token) =>
                Interlocked.Increment(ref _looks) == 1 ? ValueTaskSourceStatus.Pending : ValueTaskSourceStatus.Succeeded;

            public void GetResult(short token)
            {
            }

            public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
                ThreadPool.QueueUserWorkItem(continuation, state, preferLocal: false);
        }
    }
}
