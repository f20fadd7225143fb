using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>
/// ChatKit's WebSocket endpoint on sockets it accepts itself (<c>AddSocketListener</c>): the handshake of
/// <see cref="UpgradeHandshake"/>, then the WebSocket straight on the socket (<see cref="DirectSocketStream"/>). Without
/// Kestrel's pipes and I/O queues under it, a message is written to the socket by the thread that sends it, framed by
/// ChatKit and in one non-blocking <c>send</c>, and read by the thread that completes the receive; that is what this
/// listener is for (docs/benchmarks.md). It speaks plain TCP: TLS ends in front of it.
/// </summary>
/// <remarks>
/// Stopping: the transport's drain (on <c>ApplicationStopping</c>, before any hosted service stops) has already asked
/// every session to reconnect elsewhere and waited up to <c>DrainTimeout</c> for them to close.
/// <see cref="StopAsync"/> then stops accepting and aborts what is left (handshakes under way, sessions the drain
/// gave up on), as Kestrel ends its idle connections.
/// </remarks>
internal sealed class ChatKitSocketListener : IHostedService, IDisposable
{
    /// <summary>Pause after an accept that failed for want of resources (file descriptors, memory), so as not to spin.</summary>
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly IPEndPoint _endPoint;
    private readonly UpgradeHandshake _handshake;
    private readonly ILogger _logger;
    private readonly ConnectionTracker _connections = new();
    private readonly CancellationTokenSource _abort = new();
    private Socket? _listener;
    private Task _accepting = Task.CompletedTask;

    public ChatKitSocketListener(IServiceProvider services, IPEndPoint endPoint, string pattern)
    {
        _endPoint = endPoint;
        _handshake = new UpgradeHandshake(services, pattern, $"AddSocketListener({endPoint}, \"{pattern}\")");
        _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("ChatKit.Transport.WebSockets");
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var listener = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (_endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }

            listener.Bind(_endPoint);
            listener.Listen();
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new IOException($"ChatKit's socket listener could not listen on {_endPoint}: {ex.Message}", ex);
        }

        _listener = listener;
        Log.SocketListenerStarted(_logger, listener.LocalEndPoint!.ToString()!);
        _accepting = AcceptLoopAsync(listener);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        await _accepting.ConfigureAwait(false);
        await _abort.CancelAsync().ConfigureAwait(false);

        // Aborted connections still close their sessions (presence, the session table) before they end.
        await _connections.WhenIdle().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _listener?.Dispose();
        _abort.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                // The client gave up while waiting in the backlog.
                continue;
            }
            catch (SocketException ex)
            {
                Log.AcceptFailed(_logger, _endPoint.ToString(), ex);
                await Task.Delay(AcceptRetryDelay).ConfigureAwait(false);
                continue;
            }

            _connections.Enter();
            _ = RunConnectionAsync(socket);
        }
    }

    private async Task RunConnectionAsync(Socket socket)
    {
        // Off the accept loop: the handshake authenticates, which may take a while.
        await Task.Yield();
        try
        {
            socket.NoDelay = true;
            var stream = new NetworkStream(socket, ownsSocket: true);
            await using (stream.ConfigureAwait(false))
            {
                PipeReader input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
                PipeWriter output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
                try
                {
                    var connection = new UpgradeConnection(new DuplexPipe(input, output), socket.RemoteEndPoint, socket.LocalEndPoint, IsHttps: false,
                        OpenWebSocketStream: () => HandOver(input, output, socket));
                    await _handshake.RunAsync(connection, _abort.Token).ConfigureAwait(false);
                }
                finally
                {
                    // After a refusal, the answer is flushed; completing twice (after the hand-over) does nothing.
                    await input.CompleteAsync().ConfigureAwait(false);
                    await output.CompleteAsync().ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away during the handshake; the session, if any, was closed by the transport.
        }
        catch (Exception ex)
        {
            Log.ListenerConnectionFailed(_logger, ex);
        }
        finally
        {
            _connections.Exit();
        }
    }

    /// <summary>
    /// The handshake's pipes end here and the WebSocket takes the socket. Bytes the client sent right behind its
    /// request (before waiting for the 101, as RFC 6455 asks it to) are still in the reader's buffer: the WebSocket
    /// reads them first.
    /// </summary>
    private static DirectSocketStream HandOver(PipeReader input, PipeWriter output, Socket socket)
    {
        byte[] early = [];
        if (input.TryRead(out ReadResult result))
        {
            early = result.Buffer.ToArray();
            input.AdvanceTo(result.Buffer.End);
        }

        input.Complete();
        output.Complete();
        return new DirectSocketStream(socket, early);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
