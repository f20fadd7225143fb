using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ChatKit.LoadTest.Servers;

/// <summary>
/// A server child process started through <c>bash -c "exec taskset -c CPU ..."</c>, so that its pid is the
/// server's own (each exec keeps the pid) and its output goes to a log file, not to our console.
/// </summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(string name, Process process, int port, string logPath)
    {
        Name = name;
        _process = process;
        Port = port;
        LogPath = logPath;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public int Port { get; }

    public string LogPath { get; }

    public Uri HttpBase => new($"http://127.0.0.1:{Port}");

    public bool HasExited => _process.HasExited;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static ServerProcess Start(string name, string? cpus, int? nice, int port, string workingDirectory, IReadOnlyDictionary<string, string> environment, string fileName, params string[] args)
    {
        Directory.CreateDirectory(Path.Combine(RepoPaths.ArtifactsDirectory, "logs"));
        var log = Path.Combine(RepoPaths.ArtifactsDirectory, "logs", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{name}-{port}.log");
        var start = new ProcessStartInfo("bash") { WorkingDirectory = workingDirectory, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        var prefix = (nice is { } n ? $"nice -n {n} " : "") + (cpus is null ? "" : $"taskset -c {cpus} ");
        start.ArgumentList.Add($"exec {prefix}\"$@\" >\"$LOADTEST_LOG\" 2>&1");
        start.ArgumentList.Add("server");
        start.ArgumentList.Add(fileName);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["LOADTEST_LOG"] = log;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + fileName);
        return new ServerProcess(name, process, port, log);
    }

    /// <summary>Waits until the port accepts TCP connections.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before listening. Log {LogPath}:\n{Tail()}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(200).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"{Name} did not listen on port {Port} within {timeout}. Log {LogPath}:\n{Tail()}");
    }

    public string Tail()
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogPath).TakeLast(20));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }

        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
