using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ChatKit.Browser.Tests;

/// <summary>
/// Runs the real sample server (the build output of samples/ChatKit.Samples.Server) on a free loopback port, in
/// Development mode with in-memory storage. Set CHATKIT_BROWSER_TESTS_BASE_URL to test a server that already runs.
/// </summary>
public sealed class SampleServer : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly StringBuilder _log = new();

    private SampleServer(Uri baseUrl, Process? process)
    {
        BaseUrl = baseUrl;
        _process = process;
    }

    /// <summary>The variable that names a running server to test instead of starting one.</summary>
    public const string ExternalUrlVariable = "CHATKIT_BROWSER_TESTS_BASE_URL";

    /// <summary>True when the tests use a server that runs already (they cannot stop or restart it).</summary>
    public static bool IsExternal => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ExternalUrlVariable));

    /// <summary>The server's HTTP base, e.g. http://127.0.0.1:5123/.</summary>
    public Uri BaseUrl { get; }

    /// <summary>What the server printed so far (for failure reports).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the server with extra configuration arguments and waits until it serves the page.</summary>
    public static Task<SampleServer> StartAsync(params string[] extraArgs) => StartAsync(port: 0, extraArgs);

    /// <summary>Starts the server on <paramref name="port"/> (0: a free one) and waits until it serves the page.</summary>
    public static async Task<SampleServer> StartAsync(int port, params string[] extraArgs)
    {
        ArgumentNullException.ThrowIfNull(extraArgs);
        if (IsExternal)
        {
            return new SampleServer(new Uri(Environment.GetEnvironmentVariable(ExternalUrlVariable)!.TrimEnd('/') + "/"), null);
        }

        string projectDir = Path.Combine(RepoPaths.Root, "samples", "ChatKit.Samples.Server");
        string dll = FindServerDll(projectDir);
        if (port == 0)
        {
            port = FreePort();
        }

        var psi = new ProcessStartInfo("dotnet")
        {
            // The project folder is the content root, so wwwroot is served from the sources.
            WorkingDirectory = projectDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{port}");
        psi.ArgumentList.Add("--contentRoot");
        psi.ArgumentList.Add(projectDir);
        psi.ArgumentList.Add("--ChatKit:Storage=InMemory");
        foreach (string a in extraArgs)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["DOTNET_NOLOGO"] = "1";

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        var server = new SampleServer(new Uri($"http://127.0.0.1:{port}/"), process);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitUntilReadyAsync().ConfigureAwait(false);
        return server;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process is { HasExited: true })
            {
                throw new InvalidOperationException($"The sample server exited with code {_process.ExitCode}:\n{Log}");
            }

            try
            {
                using var res = await http.GetAsync(BaseUrl).ConfigureAwait(false);
                if (res.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        throw new TimeoutException($"The sample server did not serve {BaseUrl} within 60 s:\n{Log}");
    }

    private static string FindServerDll(string projectDir)
    {
        string bin = Path.Combine(projectDir, "bin");
        string? dll = Directory.Exists(bin)
            ? Directory.EnumerateFiles(bin, "ChatKit.Samples.Server.dll", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault()
            : null;
        return dll ?? throw new InvalidOperationException(
            $"No build of the sample server under {bin}. Build it first: dotnet build samples/ChatKit.Samples.Server");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
