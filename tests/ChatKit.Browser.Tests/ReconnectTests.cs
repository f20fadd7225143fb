using Xunit;
using static Microsoft.Playwright.Assertions;

namespace ChatKit.Browser.Tests;

/// <summary>The page while its server goes away and comes back: a server of its own, so others are not disturbed.</summary>
[Collection(ChatServerCollection.Name)]
public sealed class ReconnectTests(ChatServerFixture fixture) : WebChatTestBase(fixture)
{
    [BrowserFact]
    public Task Shows_reconnecting_while_the_server_is_down_and_recovers() => RunAsync(async () =>
    {
        if (SampleServer.IsExternal)
        {
            return; // cannot stop a server this test did not start
        }

        var own = await SampleServer.StartAsync();
        int port = own.BaseUrl.Port;
        try
        {
            string alice = NewUser("alice"), bob = NewUser("bob");
            var context = await NewPersonAsync();

            // Signed in and connected before the server goes: otherwise the stop races the sign-in itself.
            var page = await OpenTabAsync(context, alice, own.BaseUrl);
            await Expect(page.GetByTestId("connection-banner")).ToBeHiddenAsync();

            await own.DisposeAsync();
            await Expect(page.GetByTestId("connection-banner")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("connection-banner")).ToHaveTextAsync("Reconnecting…");

            // The server comes back on the same address (empty: in-memory storage); the page reconnects by itself.
            own = await SampleServer.StartAsync(port);
            await Expect(page.GetByTestId("connection-banner")).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 45_000 });
            await Expect(page.GetByTestId("connection-banner")).ToBeHiddenAsync();

            // It works as before: a message from another user arrives.
            var other = await OpenTabAsync(await NewPersonAsync(), bob, own.BaseUrl);
            await StartDirectChatAsync(other, alice);
            await SendAsync(other, "you are back");
            await Expect(Channel(page, bob).GetByTestId("unread-badge")).ToHaveTextAsync("1");
        }
        finally
        {
            await own.DisposeAsync();
        }
    });
}
