using System.Runtime.CompilerServices;
using Microsoft.Playwright;
using Xunit;

namespace ChatKit.Browser.Tests;

/// <summary>
/// Helpers for tests that drive the web chat as people would: one browser context per person, one page per tab.
/// A failing test leaves a screenshot of every open page and the server's log in artifacts/browser-tests.
/// </summary>
public abstract class WebChatTestBase : IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];

    protected WebChatTestBase(ChatServerFixture fixture)
    {
        Fixture = fixture;
    }

    protected ChatServerFixture Fixture { get; }

    /// <summary>A user id no other test uses, so the tests can share one server.</summary>
    protected static string NewUser(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>A fresh browser profile: its own localStorage, like a second browser or another person's phone.</summary>
    protected async Task<IBrowserContext> NewPersonAsync(int width = 1100, int height = 760)
    {
        var context = await Fixture.Browser.NewContextAsync(new()
        {
            BaseURL = Fixture.Server.BaseUrl.ToString(),
            ViewportSize = new() { Width = width, Height = height },
        });
        _contexts.Add(context);
        return context;
    }

    /// <summary>Opens the chat in a new tab of <paramref name="context"/> signed in as <paramref name="user"/> and waits until it is connected.</summary>
    protected static async Task<IPage> OpenTabAsync(IBrowserContext context, string user, Uri? server = null)
    {
        var page = await context.NewPageAsync();
        string path = $"/?user={Uri.EscapeDataString(user)}";
        await page.GotoAsync(server is null ? path : new Uri(server, path).ToString());
        await Assertions.Expect(page.GetByTestId("me")).ToHaveTextAsync(user);
        await Assertions.Expect(page.GetByTestId("connection-banner")).ToHaveAttributeAsync("data-state", "open");
        return page;
    }

    protected static ILocator Channel(IPage page, string name) =>
        page.Locator($"[data-testid=channel-item][data-name=\"{name}\"]");

    protected static ILocator Messages(IPage page) => page.GetByTestId("message-list").GetByTestId("message-body");

    /// <summary>Starts a direct chat from the "New chat" dialog.</summary>
    protected static async Task StartDirectChatAsync(IPage page, string other)
    {
        await page.GetByTestId("new-direct").ClickAsync();
        await page.GetByTestId("direct-user").FillAsync(other);
        await page.GetByTestId("direct-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("chat-title")).ToHaveTextAsync(other);
    }

    /// <summary>Types a message in the composer, sends it with Enter, and waits until the server has stored it.</summary>
    protected static async Task SendAsync(IPage page, string text)
    {
        var input = page.GetByTestId("composer-input");
        await input.FillAsync(text);
        await input.PressAsync("Enter");
        await Assertions.Expect(page.Locator($"[data-testid=message][data-mine=true]:not([data-pending]) [data-testid=message-body]")
            .Filter(new() { HasTextString = text })).ToHaveCountAsync(1);
    }

    /// <summary>Runs a test body; on failure saves screenshots of every open page and the server log.</summary>
    protected async Task RunAsync(Func<Task> body, [CallerMemberName] string test = "")
    {
        try
        {
            await body();
        }
        catch (Exception ex)
        {
            var saved = await SaveArtifactsAsync(test);
            throw new ArtifactsException($"{ex.Message}\nScreenshots and server log: {saved}", ex);
        }
    }

    private async Task<string> SaveArtifactsAsync(string test)
    {
        string dir = Path.Combine(RepoPaths.Artifacts, test);
        Directory.CreateDirectory(dir);
        int c = 0;
        foreach (var context in _contexts)
        {
            c++;
            int p = 0;
            foreach (var page in context.Pages)
            {
                p++;
                try
                {
                    await page.ScreenshotAsync(new() { Path = Path.Combine(dir, $"person{c}-tab{p}.png"), FullPage = true });
                }
                catch (PlaywrightException)
                {
                    // a closed page has nothing to show
                }
            }
        }

        await File.WriteAllTextAsync(Path.Combine(dir, "server.log"), Fixture.Server.Log);
        return dir;
    }

    /// <inheritdoc />
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
    }

    private sealed class ArtifactsException(string message, Exception inner) : Exception(message, inner);
}
