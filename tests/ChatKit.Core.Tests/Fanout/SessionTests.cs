using System.Runtime.InteropServices;
using System.Text.Json;
using ChatKit.Fanout;
using ChatKit.Messaging;
using ChatKit.Protocol;
using ChatKit.Specification;
using ChatKit.Tests.Infrastructure;
using static ChatKit.Tests.Infrastructure.SessionReader;

namespace ChatKit.Tests.Fanout;

/// <summary>Live delivery through <see cref="SessionManager"/> and <see cref="ChatSession"/> (PROTOCOL.md sections 1, 3 and 7).</summary>
public sealed class SessionTests
{
    [Fact]
    public async Task Welcome_comes_first_with_the_inbox_head_and_then_only_live_entries()
    {
        await using var f = ChatKitFixture.Create(o => o.HeartbeatInterval = TimeSpan.FromSeconds(7));
        for (int i = 0; i < 3; i++)
        {
            await f.SendDirectAsync("alice", "bob", $"m{i}");
        }

        ChatSession bob = await f.Sessions.OpenAsync("bob", "phone", null);
        List<JsonElement> frames = Drain(bob);
        JsonElement welcome = Assert.Single(frames);
        Assert.Equal("welcome", Type(welcome));
        Assert.Equal(3, welcome.GetProperty("head").GetInt64());
        Assert.Equal("bob", welcome.GetProperty("user").GetString());
        Assert.Equal("phone", welcome.GetProperty("device").GetString());
        Assert.Equal(bob.Id, welcome.GetProperty("session").GetString());
        Assert.Equal("n-test", welcome.GetProperty("node").GetString());
        Assert.Equal(7000, welcome.GetProperty("heartbeatMs").GetInt32());
        Assert.Equal(4000, welcome.GetProperty("limits").GetProperty("maxBodyChars").GetInt32());

        await f.SendDirectAsync("alice", "bob", "live");
        Assert.Equal([4L], Entries(await ReadThroughSeqAsync(bob, 4)).Select(e => e.Seq));
    }

    [Fact]
    public async Task A_commit_reaching_many_sessions_is_encoded_once_even_after_later_commits()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession[] bob =
        [
            await f.Sessions.OpenAsync("bob", "phone", null),
            await f.Sessions.OpenAsync("bob", "laptop", null),
            await f.Sessions.OpenAsync("bob", "tablet", null),
        ];
        foreach (ChatSession s in bob)
        {
            Drain(s);
        }

        // Straight to the store, so that a second commit comes between the first one and its fan-out.
        string channel = ChannelIds.Direct("alice", "bob");
        CommitResult first = await f.Store.CommitAsync(new MessageDraft(1, channel, ("alice", "bob"), "alice", "phone", "one", null, "c1", ChatKitFixture.Start));
        await f.Store.CommitAsync(new MessageDraft(2, channel, ("alice", "bob"), "alice", "phone", "two", null, "c2", ChatKitFixture.Start));

        f.Sessions.DeliverEntries(first.Appended);

        var payloads = new List<byte[]>();
        foreach (ChatSession s in bob)
        {
            Assert.True(s.TryRead(out OutgoingFrame frame));
            Assert.True(MemoryMarshal.TryGetArray(frame.Payload, out ArraySegment<byte> segment));
            payloads.Add(segment.Array!);
        }

        Assert.All(payloads, p => Assert.Same(payloads[0], p));
    }

    [Fact]
    public async Task With_a_cursor_the_backlog_comes_after_welcome_then_live_entries()
    {
        await using var f = ChatKitFixture.Create();
        for (int i = 0; i < 5; i++)
        {
            await f.SendDirectAsync("alice", "bob", $"m{i}");
        }

        ChatSession bob = await f.Sessions.OpenAsync("bob", "phone", after: 2);
        List<JsonElement> frames = await ReadThroughSeqAsync(bob, 5);
        Assert.Equal("welcome", Type(frames[0]));
        Assert.Equal([3L, 4L, 5L], Entries(frames).Select(e => e.Seq));
        Assert.Equal([3L, 4L, 5L], Entries(frames).Select(e => e.ChannelSeq!.Value));

        await f.SendDirectAsync("bob", "alice", "reply");
        frames = await ReadThroughSeqAsync(bob, 6, frames);
        Assert.Equal([3L, 4L, 5L, 6L], Entries(frames).Select(e => e.Seq));
        Assert.Equal(6, bob.LastQueuedSeq);
    }

    [Fact]
    public async Task A_cursor_at_the_head_gets_nothing_but_live_entries()
    {
        await using var f = ChatKitFixture.Create();
        await f.SendDirectAsync("alice", "bob", "m");

        ChatSession bob = await f.Sessions.OpenAsync("bob", "phone", after: 1);
        await f.SendDirectAsync("alice", "bob", "n");

        List<JsonElement> frames = await ReadThroughSeqAsync(bob, 2);
        Assert.Equal(["welcome", "entry"], frames.Select(Type));
    }

    [Theory]
    [InlineData(0)] // older than retention
    [InlineData(3)] // entry 4 is no longer kept
    [InlineData(11)] // ahead of the head
    [InlineData(1000)]
    public async Task A_cursor_out_of_range_gets_reset_and_then_live_entries(long after)
    {
        await using var f = ChatKitFixture.Create(o => o.InboxRetentionCount = 5);
        for (int i = 0; i < 10; i++)
        {
            await f.SendDirectAsync("alice", "bob", $"m{i}");
        }

        ChatSession bob = await f.Sessions.OpenAsync("bob", "phone", after);
        await f.SendDirectAsync("alice", "bob", "live");

        List<JsonElement> frames = await ReadThroughSeqAsync(bob, 11);
        Assert.Equal(["welcome", "reset", "entry"], frames.Select(Type));
        Assert.Equal(10, frames[1].GetProperty("head").GetInt64());
        Assert.Equal(11, Entries(frames).Single().Seq);
    }

    [Fact]
    public async Task The_oldest_kept_cursor_gets_its_backlog_without_reset()
    {
        await using var f = ChatKitFixture.Create(o => o.InboxRetentionCount = 5);
        for (int i = 0; i < 10; i++)
        {
            await f.SendDirectAsync("alice", "bob", $"m{i}");
        }

        ChatSession bob = await f.Sessions.OpenAsync("bob", "phone", after: 5);
        List<JsonElement> frames = await ReadThroughSeqAsync(bob, 10);
        Assert.Equal(["welcome", "entry", "entry", "entry", "entry", "entry"], frames.Select(Type));
    }

    [Fact]
    public async Task A_backlog_larger_than_the_queue_arrives_whole_and_in_order_while_messages_keep_coming()
    {
        await using var f = ChatKitFixture.Create(o => o.SessionQueueCapacity = 32);
        string g = await f.GroupAsync("alice", "bob");
        for (int i = 0; i < 700; i++)
        {
            await f.SendAsync("alice", g, $"old{i}");
        }

        ChatSession bob = await f.Sessions.OpenAsync("bob", "phone", after: 0);
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < 300; i++)
            {
                // Traffic this reader keeps up with: never half a queue ahead of it. Unpaced, an in-memory send is
                // several times faster than the reader's decoding, and when the backlog's fill caught up before the
                // last sends, they queued faster than the reader took them and the session was closed as a slow
                // consumer (correctly; seen once in CI). During the fill new messages only move its target.
                while (bob.QueuedCount > 16 && bob.CloseCode is null)
                {
                    await Task.Delay(1);
                }

                await f.SendAsync("alice", g, $"new{i}");
                if (i % 10 == 0)
                {
                    await Task.Yield();
                }
            }
        });

        // A transport that keeps up: reads as frames come.
        List<JsonElement> frames = await ReadThroughSeqAsync(bob, 1001);
        await sending;

        Assert.Null(bob.CloseCode);
        Assert.Equal("welcome", Type(frames[0]));
        Assert.Equal(Enumerable.Range(1, 1001).Select(i => (long)i), Entries(frames).Select(e => e.Seq));
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), Entries(frames).Skip(1).Select(e => e.ChannelSeq!.Value));
    }

    [Fact]
    public async Task A_slow_consumer_is_closed_with_4009_and_loses_nothing_while_others_are_unaffected()
    {
        await using var f = ChatKitFixture.Create(o => o.SessionQueueCapacity = 16);
        string g = await f.GroupAsync("alice", "bob", "carol");
        ChatSession slow = await f.Sessions.OpenAsync("bob", "phone", after: 1);
        ChatSession fast = await f.Sessions.OpenAsync("carol", "phone", after: 1);
        var fastFrames = new List<JsonElement>();

        for (int i = 0; i < 40; i++)
        {
            await f.SendAsync("alice", g, $"m{i}");
            fastFrames.AddRange(Drain(fast));
        }

        Assert.Equal(CloseCodes.SlowConsumer, slow.CloseCode);
        Assert.True(slow.CloseRequested.IsCancellationRequested);
        Assert.Null(fast.CloseCode);
        Assert.Equal(Enumerable.Range(2, 40).Select(i => (long)i), Entries(fastFrames).Select(e => e.Seq));

        // What the slow session had queued is in order and without gaps; its device reconnects with its cursor.
        List<long> got = Entries(Drain(slow)).Select(e => e.Seq).ToList();
        Assert.Equal(Enumerable.Range(2, got.Count).Select(i => (long)i), got);
        long cursor = got.Count > 0 ? got[^1] : 1;
        await f.Sessions.CloseAsync(slow, SessionCloseKind.Clean);

        ChatSession again = await f.Sessions.OpenAsync("bob", "phone", cursor);
        List<WireEntry> rest = Entries(await ReadThroughSeqAsync(again, 41)).ToList();
        Assert.Equal(Enumerable.Range((int)cursor + 1, (int)(41 - cursor)).Select(i => (long)i), rest.Select(e => e.Seq));
    }

    [Fact]
    public async Task Heartbeat_sweep_closes_only_sessions_silent_for_three_intervals_with_4000()
    {
        await using var f = ChatKitFixture.Create(o => o.HeartbeatInterval = TimeSpan.FromSeconds(1), fakeClock: true);
        ChatSession silent = await f.Sessions.OpenAsync("alice", "phone", null);
        ChatSession chatty = await f.Sessions.OpenAsync("bob", "phone", null);

        f.Clock!.Advance(TimeSpan.FromSeconds(2));
        f.Engine.Touch(chatty);
        Assert.Equal(0, f.Sessions.SweepSilentSessions());

        f.Clock.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(1, f.Sessions.SweepSilentSessions());
        Assert.Equal(CloseCodes.HeartbeatTimeout, silent.CloseCode);
        Assert.True(silent.CloseRequested.IsCancellationRequested);
        Assert.Null(chatty.CloseCode);

        // Closing is asked once: a second sweep does not count it again.
        Assert.Equal(0, f.Sessions.SweepSilentSessions());
    }

    [Fact]
    public async Task Draining_sends_drain_closes_with_1012_and_refuses_new_sessions()
    {
        await using var f = ChatKitFixture.Create(o => o.DrainRetryAfter = TimeSpan.FromMilliseconds(750));
        ChatSession s = await f.Sessions.OpenAsync("alice", "phone", null);
        Drain(s);

        f.Sessions.Drain();

        JsonElement drain = Assert.Single(Drain(s));
        Assert.Equal("drain", Type(drain));
        Assert.Equal(750, drain.GetProperty("retryAfterMs").GetInt64());
        Assert.Equal(CloseCodes.ServiceRestart, s.CloseCode);
        Assert.True(f.Sessions.IsDraining);
        Assert.Equal(ChatErrorCode.Unavailable, (await Assert.ThrowsAsync<ChatException>(() => f.Sessions.OpenAsync("bob", "phone", null))).Code);
    }

    [Fact]
    public async Task A_reader_waiting_for_frames_wakes_for_a_frame_and_learns_of_the_close_once_the_queue_is_empty()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession s = await f.Sessions.OpenAsync("alice", "phone", null);
        Assert.True(await s.WaitToReadAsync());
        Drain(s);

        ValueTask<bool> waiting = s.WaitToReadAsync();
        Assert.False(waiting.IsCompleted);
        using (var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(50)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await s.WaitToReadAsync(cancelled.Token));
        }

        s.Send(ServerFrameWriter.Pong(null, 1));
        Assert.True(await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        // Closing with a frame still queued: the reader gets the frame first, then the end.
        s.RequestClose(CloseCodes.Normal, "bye");
        Assert.False(s.Send(ServerFrameWriter.Pong(null, 2)));
        Assert.False(s.IsQueueFinished);
        Assert.True(await s.WaitToReadAsync());
        Assert.True(s.TryRead(out OutgoingFrame last));
        Assert.Equal("{\"type\":\"pong\",\"time\":1}", System.Text.Encoding.UTF8.GetString(last.Payload.Span));
        Assert.True(s.IsQueueFinished);
        Assert.False(await s.WaitToReadAsync());

        ChatSession waitingAtClose = await f.Sessions.OpenAsync("bob", "phone", null);
        Drain(waitingAtClose);
        ValueTask<bool> atClose = waitingAtClose.WaitToReadAsync();
        waitingAtClose.RequestClose(CloseCodes.Normal, "bye");
        Assert.False(await atClose.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Closing_unregisters_the_session_and_is_safe_twice()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession s = await f.Sessions.OpenAsync("alice", "phone", null);
        Assert.Equal(1, f.Sessions.Count);
        Assert.True(f.Sessions.HasSessions("alice"));

        await f.Sessions.CloseAsync(s, SessionCloseKind.Clean);
        await f.Sessions.CloseAsync(s, SessionCloseKind.Clean);

        Assert.Equal(0, f.Sessions.Count);
        Assert.False(f.Sessions.HasSessions("alice"));
        Assert.Empty(f.Sessions.SessionsOf("alice"));
        Assert.False((await f.Engine.GetPresenceAsync(["alice"]))[0].Online);
    }
}
