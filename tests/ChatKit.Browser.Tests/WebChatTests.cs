using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace ChatKit.Browser.Tests;

/// <summary>The web chat of the sample server, driven in headless Chromium against the real server.</summary>
[Collection(ChatServerCollection.Name)]
public sealed class WebChatTests(ChatServerFixture fixture) : WebChatTestBase(fixture)
{
    [BrowserFact]
    public Task Two_users_chat_both_ways_and_see_read_receipts() => RunAsync(async () =>
    {
        string alice = NewUser("alice"), bob = NewUser("bob");
        var a = await OpenTabAsync(await NewPersonAsync(), alice);
        var b = await OpenTabAsync(await NewPersonAsync(), bob);

        await StartDirectChatAsync(a, bob);
        await SendAsync(a, "Hi Bob, lunch at noon?");

        // Bob sees a new conversation with an unread badge and the last message, then opens it.
        var fromAlice = Channel(b, alice);
        await Expect(fromAlice.GetByTestId("unread-badge")).ToHaveTextAsync("1");
        await Expect(fromAlice.GetByTestId("channel-last")).ToHaveTextAsync("Hi Bob, lunch at noon?");
        await fromAlice.ClickAsync();
        await Expect(Messages(b)).ToHaveTextAsync(["Hi Bob, lunch at noon?"]);
        await Expect(fromAlice.GetByTestId("unread-badge")).ToHaveCountAsync(0);

        // Alice learns that Bob has read it.
        await Expect(a.GetByTestId("seen-by")).ToHaveTextAsync($"Seen by {bob}");

        await SendAsync(b, "Sure, see you there");
        await Expect(Messages(a)).ToHaveTextAsync(["Hi Bob, lunch at noon?", "Sure, see you there"]);
        await Expect(a.Locator("[data-testid=message][data-mine=false]")).ToHaveCountAsync(1);
        await Expect(b.Locator("[data-testid=message][data-mine=true]")).ToHaveCountAsync(1);
    });

    [BrowserFact]
    public Task Presence_turns_offline_when_the_other_closes_the_page() => RunAsync(async () =>
    {
        string alice = NewUser("alice"), bob = NewUser("bob");
        var a = await OpenTabAsync(await NewPersonAsync(), alice);
        var bobsBrowser = await NewPersonAsync();
        await OpenTabAsync(bobsBrowser, bob);

        await StartDirectChatAsync(a, bob);
        await Expect(a.GetByTestId("chat-status")).ToHaveTextAsync("online");
        await SendAsync(a, "are you there?");
        await Expect(Channel(a, bob).GetByTestId("presence-dot")).ToHaveAttributeAsync("data-status", "online");

        await bobsBrowser.CloseAsync();

        await Expect(a.GetByTestId("chat-status")).ToHaveAttributeAsync("data-status", "offline");
        await Expect(a.GetByTestId("chat-status")).ToContainTextAsync("last seen");
        await Expect(Channel(a, bob).GetByTestId("presence-dot")).ToHaveAttributeAsync("data-status", "offline");
    });

    [BrowserFact]
    public Task Typing_shows_to_the_other_user() => RunAsync(async () =>
    {
        string alice = NewUser("alice"), bob = NewUser("bob");
        var a = await OpenTabAsync(await NewPersonAsync(), alice);
        var b = await OpenTabAsync(await NewPersonAsync(), bob);
        await StartDirectChatAsync(a, bob);
        await SendAsync(a, "knock knock");
        await Channel(b, alice).ClickAsync();

        await Expect(a.GetByTestId("typing-indicator")).ToBeHiddenAsync();
        await b.GetByTestId("composer-input").PressSequentiallyAsync("who's th");

        await Expect(a.GetByTestId("typing-indicator")).ToBeVisibleAsync();
        await Expect(a.GetByTestId("typing-indicator")).ToContainTextAsync($"{bob} is typing");
        // The typist does not see their own indicator.
        await Expect(b.GetByTestId("typing-indicator")).ToBeHiddenAsync();
    });

    [BrowserFact]
    public Task Reload_keeps_history_and_unread_badges() => RunAsync(async () =>
    {
        string alice = NewUser("alice"), bob = NewUser("bob");
        var a = await OpenTabAsync(await NewPersonAsync(), alice);
        var b = await OpenTabAsync(await NewPersonAsync(), bob);
        await StartDirectChatAsync(a, bob);
        await SendAsync(a, "one");
        await SendAsync(a, "two");
        await SendAsync(a, "three");
        await Expect(Channel(b, alice).GetByTestId("unread-badge")).ToHaveTextAsync("3");

        await b.ReloadAsync();
        await Expect(b.GetByTestId("connection-banner")).ToHaveAttributeAsync("data-state", "open");
        await Expect(Channel(b, alice).GetByTestId("unread-badge")).ToHaveTextAsync("3");
        await Expect(Channel(b, alice).GetByTestId("channel-last")).ToHaveTextAsync("three");

        await a.ReloadAsync();
        await Expect(a.GetByTestId("connection-banner")).ToHaveAttributeAsync("data-state", "open");
        // The open conversation of the tab comes back with its history.
        await Expect(a.GetByTestId("chat-title")).ToHaveTextAsync(bob);
        await Expect(Messages(a)).ToHaveTextAsync(["one", "two", "three"]);
        await Expect(Channel(a, bob).GetByTestId("unread-badge")).ToHaveCountAsync(0);
    });

    [BrowserFact]
    public Task A_second_tab_of_the_same_user_stays_in_sync() => RunAsync(async () =>
    {
        string alice = NewUser("alice"), bob = NewUser("bob");
        var a = await OpenTabAsync(await NewPersonAsync(), alice);
        var bobsBrowser = await NewPersonAsync();
        var tab1 = await OpenTabAsync(bobsBrowser, bob);
        var tab2 = await OpenTabAsync(bobsBrowser, bob);
        // Each tab is a device of its own.
        Assert.NotEqual(await tab1.GetByTestId("device").TextContentAsync(), await tab2.GetByTestId("device").TextContentAsync());

        await StartDirectChatAsync(a, bob);
        await SendAsync(a, "hello both tabs");
        await Expect(Channel(tab1, alice).GetByTestId("unread-badge")).ToHaveTextAsync("1");
        await Expect(Channel(tab2, alice).GetByTestId("unread-badge")).ToHaveTextAsync("1");

        // Reading in the first tab clears the badge in the second.
        await Channel(tab1, alice).ClickAsync();
        await Expect(Messages(tab1)).ToHaveTextAsync(["hello both tabs"]);
        await Expect(Channel(tab2, alice).GetByTestId("unread-badge")).ToHaveCountAsync(0);

        // What one tab sends shows in the other as the user's own message.
        await SendAsync(tab1, "sent from tab 1");
        await Expect(Channel(tab2, alice).GetByTestId("channel-last")).ToHaveTextAsync("You: sent from tab 1");
        await Channel(tab2, alice).ClickAsync();
        await Expect(Messages(tab2)).ToHaveTextAsync(["hello both tabs", "sent from tab 1"]);
        await Expect(tab2.Locator("[data-testid=message][data-mine=true]")).ToHaveCountAsync(1);
    });

    [BrowserFact]
    public Task Older_history_loads_when_scrolling_up() => RunAsync(async () =>
    {
        string alice = NewUser("alice"), bob = NewUser("bob");
        var a = await OpenTabAsync(await NewPersonAsync(), alice);
        await StartDirectChatAsync(a, bob);
        await SendAsync(a, "message 1");
        // The rest through the page's own client, to keep the test quick.
        await a.EvaluateAsync(@"async (to) => {
            for (let i = 2; i <= 70; i++) await window.chatkit.send({ to, body: 'message ' + i });
        }", bob);

        var b = await OpenTabAsync(await NewPersonAsync(), bob);
        await Channel(b, alice).ClickAsync();
        await Expect(Messages(b).Last).ToHaveTextAsync("message 70");
        int firstPage = await Messages(b).CountAsync();
        Assert.InRange(firstPage, 1, 69);

        for (int i = 0; i < 10 && await Messages(b).CountAsync() < 70; i++)
        {
            await b.GetByTestId("message-list").EvaluateAsync("e => { e.scrollTop = 0; e.dispatchEvent(new Event('scroll')); }");
            await b.WaitForTimeoutAsync(300);
        }

        await Expect(Messages(b)).ToHaveCountAsync(70);
        await Expect(Messages(b).First).ToHaveTextAsync("message 1");
    });

    [BrowserFact]
    public Task Creating_a_group_beyond_the_member_limit_shows_a_clear_error() => RunAsync(async () =>
    {
        string alice = NewUser("alice");
        var a = await OpenTabAsync(await NewPersonAsync(), alice);
        var others = Enumerable.Range(1, ChatServerFixture.MaxGroupMembers).Select(i => NewUser("m" + i)).ToArray();

        await a.GetByTestId("new-group").ClickAsync();
        await a.GetByTestId("group-name").FillAsync("Too big");
        await a.GetByTestId("group-members").FillAsync(string.Join(", ", others));
        await a.GetByTestId("group-submit").ClickAsync();
        await Expect(a.GetByTestId("group-error")).ToContainTextAsync($"at most {ChatServerFixture.MaxGroupMembers} members");
        await Expect(Channel(a, "Too big")).ToHaveCountAsync(0);

        // One fewer fits.
        await a.GetByTestId("group-members").FillAsync(string.Join(", ", others.Skip(1)));
        await a.GetByTestId("group-submit").ClickAsync();
        await Expect(a.GetByTestId("group-dialog")).ToBeHiddenAsync();
        await Expect(a.GetByTestId("chat-title")).ToHaveTextAsync("Too big");
        await Expect(Channel(a, "Too big")).ToHaveCountAsync(1);
        await SendAsync(a, "welcome all");
    });

    [BrowserFact]
    public Task Works_on_a_phone_sized_screen() => RunAsync(async () =>
    {
        string alice = NewUser("alice"), bob = NewUser("bob");
        var a = await OpenTabAsync(await NewPersonAsync(390, 780), alice);
        await OpenTabAsync(await NewPersonAsync(), bob);
        await StartDirectChatAsync(a, bob);
        // One pane at a time: the open chat hides the list, and Back returns to it.
        await Expect(a.GetByTestId("channel-list")).ToBeHiddenAsync();
        await SendAsync(a, "from my phone");
        await a.GetByTestId("back").ClickAsync();
        await Expect(Channel(a, bob)).ToBeVisibleAsync();
        await Expect(a.GetByTestId("chat")).ToBeHiddenAsync();
        bool overflows = await a.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth");
        Assert.False(overflows);
    });
}
