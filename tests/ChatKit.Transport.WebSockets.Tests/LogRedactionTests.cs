namespace ChatKit.Transport.WebSockets.Tests;

public sealed class LogRedactionTests
{
    [Fact]
    public async Task Access_tokens_never_appear_in_logs_while_request_logs_are_kept()
    {
        // On MapChatKit's endpoint, whichever listener the suite runs on: only there does ASP.NET Core log the handshake's request.
        await using ChatKitHost host = await ChatKitHost.StartAsync(listener: WebSocketListener.MapChatKit);
        string token = ChatKitHost.Token("alice");
        await using (TestClient alice = await TestClient.ConnectAsync(host.WebSocketEndpoint, token, "d1"))
        {
            await alice.OkAsync("ping");
        }

        await host.Http.GetAsync($"/chatkit/discover?access_token={token}");
        await host.Http.GetAsync($"/chatkit/sync?after=0&access_token={token}&device=x");
        await host.Http.GetAsync($"/elsewhere?a=1&ACCESS_TOKEN={token}");
        await WaitFor.ConditionAsync(() => host.Logs.Entries.Any(e => e.Contains("/elsewhere", StringComparison.Ordinal) && e.Contains("404", StringComparison.Ordinal)));

        IReadOnlyList<string> logs = host.Logs.Entries;
        Assert.Contains(logs, e => e.Contains("Request starting", StringComparison.Ordinal) && e.Contains("/chatkit/discover?access_token=***", StringComparison.Ordinal));
        Assert.Contains(logs, e => e.Contains("Request starting", StringComparison.Ordinal) && e.Contains("device=d1&access_token=***", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, e => e.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_redaction_MapChatKit_warns()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(redact: false);
        Assert.Contains(host.Logs.Entries, e => e.Contains("AddChatKitTokenRedaction", StringComparison.Ordinal));
    }
}
