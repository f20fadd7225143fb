using Microsoft.Playwright;
using Xunit;

namespace ChatKit.Browser.Tests;

/// <summary>One sample server and one headless system Chromium shared by the browser tests.</summary>
public sealed class ChatServerFixture : IAsyncLifetime
{
    /// <summary>The group limit the server runs with, small so that the limit is easy to cross.</summary>
    public const int MaxGroupMembers = 4;

    private IPlaywright? _playwright;

    /// <summary>The running sample server.</summary>
    public SampleServer Server { get; private set; } = null!;

    /// <summary>The browser; each simulated person gets a context of their own.</summary>
    public IBrowser Browser { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(15_000);
        string chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException(
                $"Chromium not found at {chromium}. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).");
        }

        Server = await SampleServer.StartAsync(
            $"--ChatKit:MaxGroupMembers={MaxGroupMembers}",
            "--ChatKit:PresenceGracePeriod=00:00:02");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

/// <summary>The browser tests share one server and one browser, and run one at a time (the machine is small).</summary>
[CollectionDefinition(Name)]
public sealed class ChatServerCollection : ICollectionFixture<ChatServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "chat server";
}
