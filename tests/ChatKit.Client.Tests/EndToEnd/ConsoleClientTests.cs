using ChatKit.Samples.ConsoleClient;

namespace ChatKit.Client.Tests.EndToEnd;

/// <summary>The console sample's chat loop and cursor file against the real sample server.</summary>
public sealed class ConsoleClientTests : IDisposable
{
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), "chatkit-console-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_stateDir))
        {
            Directory.Delete(_stateDir, recursive: true);
        }
    }

    [Fact]
    public async Task Two_consoles_chat_and_a_restarted_console_prints_what_it_missed_exactly_once()
    {
        await using SampleServerHost server = await SampleServerHost.StartAsync();
        Directory.CreateDirectory(_stateDir);
        string bobCursorFile = Path.Combine(_stateDir, "bob.phone.cursor");

        var bobOut = new ConsoleOutput();
        await using (ChatClient bob = server.Client("bob", "phone", new FileCursorStore(bobCursorFile)))
        {
            _ = new ChatConsole(bob, bobOut);
            await bob.ConnectAsync();
            await RunAliceAsync(server, "/to bob hello bob\n/who bob\n");
            await bobOut.WaitForAsync("alice: hello bob");
        }

        await RunAliceAsync(server, "/to bob missed one\nmissed two\n/channels\n");

        var bobAgainOut = new ConsoleOutput();
        await using ChatClient bobAgain = server.Client("bob", "phone", new FileCursorStore(bobCursorFile));
        var chat = new ChatConsole(bobAgain, bobAgainOut);
        await bobAgain.ConnectAsync();
        await bobAgainOut.WaitForAsync("alice: missed two");
        string direct = (await bobAgain.ChannelsAsync()).Single().Id;
        await chat.RunAsync(new StringReader($"/history {direct}\n/ping\n"), CancellationToken.None);
        await bobAgainOut.WaitForAsync("* pong");

        string text = bobAgainOut.Text;
        Assert.Equal(1, Count(text, $"[{direct}] alice: missed one"));
        Assert.Equal(1, Count(text, $"[{direct}] alice: missed two"));
        Assert.DoesNotContain("] alice: hello bob", text, StringComparison.Ordinal);
        Assert.Contains("#1 alice: hello bob", text, StringComparison.Ordinal); // from /history, not as a new message
        Assert.Equal(bobAgain.Cursor?.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(bobCursorFile));
    }

    [Fact]
    public void Command_line_needs_a_user_and_defaults_the_rest()
    {
        var error = new StringWriter();
        Assert.Null(ConsoleOptions.Parse([], error));
        Assert.Contains("usage", error.ToString(), StringComparison.Ordinal);

        ConsoleOptions options = ConsoleOptions.Parse(["--user", "alice", "--state-dir", "/tmp/x", "--stay"], error)!;
        Assert.Equal(("alice", "console", "/tmp/x", "/chatkit", true), (options.User, options.Device, options.StateDirectory, options.Path, options.StayAfterEof));
        Assert.Equal(new Uri("http://127.0.0.1:5000"), options.Server);
    }

    private static async Task RunAliceAsync(SampleServerHost server, string commands)
    {
        var output = new ConsoleOutput();
        await using ChatClient alice = server.Client("alice", "laptop");
        var chat = new ChatConsole(alice, output);
        await alice.ConnectAsync();
        await chat.RunAsync(new StringReader(commands), CancellationToken.None);
        Assert.DoesNotContain("! ", output.Text, StringComparison.Ordinal);
    }

    private static int Count(string text, string what) => (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;

    private sealed class ConsoleOutput : StringWriter
    {
        private readonly Lock _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return ToString();
                }
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }

        public async Task WaitForAsync(string what)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (!Text.Contains(what, StringComparison.Ordinal))
            {
                try
                {
                    await Task.Delay(20, cts.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"'{what}' never printed; output:\n{Text}");
                }
            }
        }
    }
}
