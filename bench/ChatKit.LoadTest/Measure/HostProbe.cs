using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace ChatKit.LoadTest.Measure;

/// <summary>
/// How fast the server's CPU runs right now: a fixed piece of work, timed on the server's CPUs just before
/// and just after each measurement, while no server runs there. On a shared host a core's speed changes in phases of
/// minutes (a run of the same build can take 1.5× the CPU per delivery of the run before it); the probe shows which
/// rounds of a side-by-side comparison ran at a like speed, so that their ratio can be read apart from the others.
/// </summary>
internal static class HostProbe
{
    /// <summary>Rounds whose four probes (both targets, before and after) are within this factor count as like.</summary>
    public const double LikeSpeedFactor = 1.10;

    private const int Repetitions = 7;
    private const int RoundTripsPerRepetition = 1000;

    private static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Times the work in this process: the fastest of several repetitions, in milliseconds. The work is what a chat
    /// node spends most of its CPU on: small writes and reads on a loopback TCP connection (both ends here, so the
    /// kernel's receive path runs on this CPU too), with a little hashing between them.
    /// </summary>
    public static double TimeWork()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect((IPEndPoint)listener.LocalEndpoint);
        using var server = listener.AcceptSocket();
        server.NoDelay = true;
        var frame = new byte[300];
        new Random(42).NextBytes(frame);
        var received = new byte[300];
        Span<byte> hash = stackalloc byte[32];
        var best = double.MaxValue;
        for (var r = 0; r < Repetitions; r++)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < RoundTripsPerRepetition; i++)
            {
                client.Send(frame);
                var got = 0;
                while (got < frame.Length)
                {
                    got += server.Receive(received, got, frame.Length - got, SocketFlags.None);
                }

                SHA256.HashData(received, hash);
                frame[i % frame.Length] ^= hash[0];
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return best;
    }

    /// <summary>Times the work on <paramref name="cpus"/> (a <c>taskset</c> list) in a child process of this program.</summary>
    /// <returns>Milliseconds, or <see langword="null"/> when the servers are not pinned (a probe would mean nothing).</returns>
    public static async Task<double?> MeasureOnAsync(string? cpus, CancellationToken cancellationToken)
    {
        if (cpus is null)
        {
            return null;
        }

        // A server that just stopped leaves work on its CPU for a moment (a thousand sockets closing, its process
        // exiting): probed at once, the host reads up to half as fast as it is.
        await Task.Delay(SettleTime, cancellationToken).ConfigureAwait(false);

        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's path.");
        var start = new ProcessStartInfo("taskset") { UseShellExecute = false, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(cpus);
        start.ArgumentList.Add(self);
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(HostProbe).Assembly.Location);
        }

        start.ArgumentList.Add("probe");
        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start taskset.");
        var output = await child.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await child.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return child.ExitCode == 0 && double.TryParse(output.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) ? ms : null;
    }

    /// <summary>The rounds whose probes are all known and within <see cref="LikeSpeedFactor"/> of each other.</summary>
    public static IReadOnlyList<int> LikeSpeedRounds(IEnumerable<(int Round, double? Before, double? After)> probes) =>
        probes.GroupBy(p => p.Round)
            .Where(g => g.All(p => p.Before is > 0 && p.After is > 0))
            .Where(g =>
            {
                var all = g.SelectMany(p => new[] { p.Before!.Value, p.After!.Value }).ToList();
                return all.Max() / all.Min() <= LikeSpeedFactor;
            })
            .Select(g => g.Key)
            .Order()
            .ToList();
}
