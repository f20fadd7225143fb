using System.Net;
using System.Text.Json;

namespace ChatKit.EndToEnd.Tests;

/// <summary>The sample server on its default storage, LiteDB: state survives a restart.</summary>
public sealed class SampleStorageTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "chatkit-e2e-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task The_sample_server_on_LiteDB_keeps_history_inboxes_and_dedupe_across_a_restart()
    {
        string path = Path.Combine(_directory, "chat.db");
        string[] args = ["--ChatKit:Storage=LiteDb", $"--ChatKit:LiteDb:Path={path}"];
        string firstId;
        await using (SampleHost first = await SampleHost.StartAsync("Development", args))
        {
            string alice = await first.TokenAsync("alice");
            firstId = await SendAsync(first, alice, "m1", "before the restart");
            await SendAsync(first, alice, "m2", "still before");
        }

        Assert.True(File.Exists(path));
        await using SampleHost second = await SampleHost.StartAsync("Development", args);
        string bob = await second.TokenAsync("bob");

        using JsonDocument history = await GetAsync(second, bob, "/chatkit/channels/d:alice:bob/messages");
        Assert.Equal(["before the restart", "still before"],
            history.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("body").GetString()));

        using JsonDocument sync = await GetAsync(second, bob, "/chatkit/sync?device=d1&after=1");
        Assert.Equal(2, sync.RootElement.GetProperty("head").GetInt64());
        Assert.Equal(2, Assert.Single(sync.RootElement.GetProperty("entries").EnumerateArray()).GetProperty("seq").GetInt64());

        // A retry of a message sent before the restart is recognised.
        Assert.Equal(firstId, await SendAsync(second, await second.TokenAsync("alice"), "m1", "retried"));
        using JsonDocument after = await GetAsync(second, bob, "/chatkit/sync?device=d1&after=0");
        Assert.Equal(2, after.RootElement.GetProperty("head").GetInt64());
    }

    private static async Task<string> SendAsync(SampleHost host, string token, string clientMsgId, string body)
    {
        HttpResponseMessage response = await host.SendAsync(HttpMethod.Post, "/chatkit/messages?device=d1", token, new { to = "bob", body, clientMsgId });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument message = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return message.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<JsonDocument> GetAsync(SampleHost host, string token, string path)
    {
        HttpResponseMessage response = await host.SendAsync(HttpMethod.Get, path, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
