using ChatKit.Fanout;
using ChatKit.Messaging;
using ChatKit.Protocol;
using ChatKit.Tests.Infrastructure;
using static ChatKit.Tests.Infrastructure.SessionReader;

namespace ChatKit.Tests.Fanout;

/// <summary>
/// How a session wakes the writer waiting in <see cref="ChatSession.WaitToReadAsync"/>: through the thread pool, or
/// at the end of a <see cref="SessionWakeBatch"/> on the batch's thread; never lost, never twice.
/// </summary>
public sealed class SessionWakeBatchTests
{
    private static readonly byte[] Frame = """{"type":"pong"}"""u8.ToArray();

    [Fact]
    public async Task Inside_a_batch_the_writer_wakes_when_the_batch_ends_on_its_thread()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession bob = await OpenDrainedAsync(f, "bob", "phone");
        ChatSession carol = await OpenDrainedAsync(f, "carol", "phone");

        ValueTask<bool> bobWaits = bob.WaitToReadAsync();
        ValueTask<bool> carolWaits = carol.WaitToReadAsync();
        Assert.False(bobWaits.IsCompleted);

        Task handled = SessionWakeBatch.Run(_ =>
        {
            bob.Send(Frame);
            carol.Send(Frame);
            bob.Send(Frame);

            // Nothing runs before the batch ends, so that what else it queues for bob (his ok) goes with it.
            Assert.False(bobWaits.IsCompleted);
            Assert.False(carolWaits.IsCompleted);
            return Task.CompletedTask;
        }, 0);

        // Completed by Run itself, on this thread: no hand-off to the pool.
        Assert.True(handled.IsCompletedSuccessfully);
        Assert.True(bobWaits.IsCompleted);
        Assert.True(carolWaits.IsCompleted);
        Assert.True(await bobWaits);
        Assert.True(await carolWaits);
        Assert.Equal(2, Drain(bob).Count);
        Assert.Single(Drain(carol));
    }

    [Fact]
    public async Task A_batch_opened_inside_another_joins_it()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession bob = await OpenDrainedAsync(f, "bob", "phone");
        ValueTask<bool> waits = bob.WaitToReadAsync();

        await SessionWakeBatch.Run(_ =>
        {
            SessionWakeBatch.Run(_ =>
            {
                bob.Send(Frame);
                return Task.CompletedTask;
            }, 0);

            Assert.False(waits.IsCompleted);
            return Task.CompletedTask;
        }, 0);

        Assert.True(waits.IsCompleted);
        Assert.True(await waits);
    }

    [Fact]
    public async Task A_handler_that_yields_leaves_no_batch_open_behind_it()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession bob = await OpenDrainedAsync(f, "bob", "phone");
        ChatSession carol = await OpenDrainedAsync(f, "carol", "phone");

        Task handled = SessionWakeBatch.Run(async session =>
        {
            await Task.Yield();
            session.Send(Frame);
        }, bob);

        // Right after Run, on the same thread: no batch is left open to swallow this wake-up.
        Task<bool> carolWaits = carol.WaitToReadAsync().AsTask();
        carol.Send(Frame);
        Assert.True(await carolWaits.WaitAsync(WaitLimit));

        // What the handler queued after it yielded is woken through the pool.
        await handled.WaitAsync(WaitLimit);
        Assert.True(await bob.WaitToReadAsync().AsTask().WaitAsync(WaitLimit));
        Assert.Single(Drain(bob));
    }

    [Fact]
    public async Task A_fan_out_on_its_own_wakes_its_writers_after_its_loop_through_the_pool()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession bob = await OpenDrainedAsync(f, "bob", "phone");
        ChatSession carol = await OpenDrainedAsync(f, "carol", "phone");
        Task<bool> bobWaits = bob.WaitToReadAsync().AsTask();
        Task<bool> carolWaits = carol.WaitToReadAsync().AsTask();

        using (SessionWakeBatch.BeginForThreadPool())
        {
            bob.Send(Frame);
            carol.Send(Frame);

            // Not woken during the loop: the caller may still queue the sender's ok, which should go with its entry.
            Thread.Sleep(50);
            Assert.False(bobWaits.IsCompleted);
            Assert.False(carolWaits.IsCompleted);
        }

        Assert.True(await bobWaits.WaitAsync(WaitLimit));
        Assert.True(await carolWaits.WaitAsync(WaitLimit));
    }

    [Fact]
    public async Task A_fan_out_inside_a_transports_batch_is_woken_by_the_transports_batch()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession alice = await OpenDrainedAsync(f, "alice", "phone");
        ChatSession bob = await OpenDrainedAsync(f, "bob", "phone");
        ValueTask<bool> aliceWaits = alice.WaitToReadAsync();
        ValueTask<bool> bobWaits = bob.WaitToReadAsync();

        await SessionWakeBatch.Run(_ =>
        {
            // The in-memory store commits synchronously, so the fan-out runs here and its own batch joins this one.
            Task<ChatMessage> sending = f.SendDirectAsync("alice", "bob", "c1");
            Assert.True(sending.IsCompletedSuccessfully);
            Assert.False(aliceWaits.IsCompleted);
            Assert.False(bobWaits.IsCompleted);
            return sending;
        }, 0);

        Assert.True(aliceWaits.IsCompleted);
        Assert.True(bobWaits.IsCompleted);
        Assert.True(await aliceWaits);
        Assert.True(await bobWaits);
    }

    [Fact]
    public async Task Outside_a_batch_the_writer_is_woken_by_the_pool()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession bob = await OpenDrainedAsync(f, "bob", "phone");
        Task<bool> waits = bob.WaitToReadAsync().AsTask();

        bob.Send(Frame);

        Assert.True(await waits.WaitAsync(WaitLimit));
        Assert.Single(Drain(bob));
    }

    [Fact]
    public async Task A_frame_already_queued_needs_no_wake_up()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession bob = await OpenDrainedAsync(f, "bob", "phone");
        bob.Send(Frame);

        ValueTask<bool> waits = bob.WaitToReadAsync();

        Assert.True(waits.IsCompletedSuccessfully);
        Assert.True(await waits);
    }

    [Fact]
    public async Task Closing_wakes_the_writer_and_then_the_queue_reads_as_finished()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession bob = await OpenDrainedAsync(f, "bob", "phone");
        Task<bool> waits = bob.WaitToReadAsync().AsTask();

        bob.RequestClose(CloseCodes.Normal, "bye");

        Assert.True(await waits.WaitAsync(WaitLimit));
        Assert.False(bob.TryRead(out _));
        Assert.False(await bob.WaitToReadAsync());
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_the_next_wait_still_wakes()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession bob = await OpenDrainedAsync(f, "bob", "phone");
        using var cts = new CancellationTokenSource();
        Task<bool> cancelled = bob.WaitToReadAsync(cts.Token).AsTask();

        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(WaitLimit));

        // The cancelled wait's registration must not claim the next wait's wake-up.
        using var unused = new CancellationTokenSource();
        Task<bool> next = bob.WaitToReadAsync(unused.Token).AsTask();
        bob.Send(Frame);
        Assert.True(await next.WaitAsync(WaitLimit));
        Assert.Single(Drain(bob));
    }

    [Fact]
    public async Task Every_frame_from_racing_writers_reaches_the_one_reader()
    {
        const int Writers = 4;
        const int PerWriter = 25_000;
        await using var f = ChatKitFixture.Create();
        ChatSession bob = await OpenDrainedAsync(f, "bob", "phone");

        Task<int> reading = Task.Run(async () =>
        {
            int read = 0;
            while (read < Writers * PerWriter && await bob.WaitToReadAsync())
            {
                while (bob.TryRead(out _))
                {
                    read++;
                }
            }

            return read;
        });

        Task[] writing = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < PerWriter; i++)
            {
                // Stay under the queue's bound, which would close the session as a slow consumer.
                var spin = default(SpinWait);
                while (bob.QueuedCount > 1000)
                {
                    spin.SpinOnce();
                }

                // Half of the writers queue inside batches, as a transport's receive loop does.
                if (w % 2 == 0 && i % 3 != 0)
                {
                    SessionWakeBatch.Run(session =>
                    {
                        Assert.True(session.Send(Frame));
                        return Task.CompletedTask;
                    }, bob);
                }
                else
                {
                    Assert.True(bob.Send(Frame));
                }
            }
        })).ToArray();

        await Task.WhenAll(writing).WaitAsync(WaitLimit * 4);
        Assert.Equal(Writers * PerWriter, await reading.WaitAsync(WaitLimit));
    }

    private static async Task<ChatSession> OpenDrainedAsync(ChatKitFixture f, string user, string device)
    {
        ChatSession session = await f.Sessions.OpenAsync(user, device, null);
        Drain(session);
        return session;
    }
}
