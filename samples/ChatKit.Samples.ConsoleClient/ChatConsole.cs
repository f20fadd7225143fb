using System.Collections.Concurrent;
using System.Globalization;
using ChatKit.Client;
using ChatKit.Protocol.Frames;

namespace ChatKit.Samples.ConsoleClient;

/// <summary>
/// The terminal chat: reads commands line by line (a TTY or a pipe) and prints what arrives. Incoming lines start
/// with <c>[channel]</c> for messages and <c>*</c> for everything else, so scripts can grep them.
/// </summary>
internal sealed class ChatConsole
{
    public const string Help = """
        commands:
          /to USER TEXT          send a direct message (and talk to USER from now on)
          /in CHANNEL TEXT       send to a channel
          /join CHANNEL          talk in CHANNEL from now on (plain lines go there)
          /group NAME A,B,C      create a group with these members (and talk in it)
          /add CHANNEL A,B       add members (owner only)      /remove CHANNEL A,B   remove members
          /leave CHANNEL         leave a group
          /history [CHANNEL] [N] the last N messages (default: current channel, 20)
          /channels              your channels with unread counts
          /who USER[,USER]       presence, and a line whenever it changes
          /read [CHANNEL]        mark read up to the newest message seen
          /typing [CHANNEL]      tell the others you are typing
          /ping                  round trip to the server
          /quit                  leave
          TEXT                   send to the current user or channel
        """;

    private readonly ChatClient _client;
    private readonly TextWriter _out;
    private readonly ConcurrentDictionary<string, long> _newestSeen = new(StringComparer.Ordinal);
    private string? _toUser;
    private string? _channel;

    public ChatConsole(ChatClient client, TextWriter output)
    {
        _client = client;
        _out = output;
        client.MessageReceived += e =>
        {
            WireMessage m = e.Message;
            _newestSeen.AddOrUpdate(m.Channel, m.ChannelSeq, (_, old) => Math.Max(old, m.ChannelSeq));
            string when = DateTimeOffset.FromUnixTimeMilliseconds(m.SentAt).ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture);
            return Print($"[{m.Channel}] {m.From}: {m.Body}  ({when} #{m.ChannelSeq})");
        };
        client.ReadReceived += e => Print($"* you read {e.Channel} up to #{e.UpTo} on another device");
        client.MemberChanged += e => Print($"* {e.User} was {e.Change} {(e.IsAdded ? "to" : "from")} {e.Channel} by {e.By}");
        client.TypingReceived += e => Print($"* {e.User} is typing in {e.Channel}");
        client.ReceiptReceived += e => Print($"* {e.User} read {e.Channel} up to #{e.UpTo}");
        client.PresenceChanged += e => Print($"* {e.User} is {e.Status}");
        client.Reset += async e =>
        {
            await Print($"* the server no longer has everything you missed; your channels:").ConfigureAwait(false);
            await ListChannelsAsync().ConfigureAwait(false);
        };
        client.Connected += e => Print(e.IsReconnect
            ? $"* reconnected to {e.Node} (inbox head {e.Head})"
            : $"* connected as {e.User}/{e.Device} to {e.Node} (inbox head {e.Head}); /help for commands");
        client.Disconnected += e => Print(
            $"* disconnected{(e.CloseStatus is { } s ? $" ({(int)s} {e.CloseDescription})" : "")}" +
            $"{(e.Exception is { } x ? $": {x.Message}" : "")}{(e.WillReconnect ? "; reconnecting" : "")}");
        client.Reconnecting += e => Print($"* reconnecting in {e.Delay.TotalSeconds:0.0} s (attempt {e.Attempt})");
        client.HandlerFailed += e => _out.WriteLine($"! {e.Message}");
    }

    /// <summary>Reads commands until <c>/quit</c> or the end of input.</summary>
    public async Task RunAsync(TextReader input, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            string? line;
            try
            {
                // Console.In reads synchronously even through ReadLineAsync: read on the pool so Ctrl+C is not stuck
                // behind a read that never ends.
                line = await Task.Run(input.ReadLine, CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (line is null)
            {
                return;
            }

            line = line.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line is "/quit" or "/exit")
            {
                return;
            }

            try
            {
                await ExecuteAsync(line, cancellationToken).ConfigureAwait(false);
            }
            catch (ChatClientException ex)
            {
                await Print($"! {ex.Code}: {ex.Message}").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or ArgumentException)
            {
                await Print($"! {ex.Message}").ConfigureAwait(false);
            }
        }
    }

    private async Task ExecuteAsync(string line, CancellationToken cancellationToken)
    {
        if (!line.StartsWith('/'))
        {
            await SendToCurrentAsync(line, cancellationToken).ConfigureAwait(false);
            return;
        }

        string[] parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string command = parts[0];
        string? arg1 = parts.Length > 1 ? parts[1] : null;
        string? rest = parts.Length > 2 ? parts[2] : null;
        switch (command)
        {
            case "/help":
                await Print(Help).ConfigureAwait(false);
                break;

            case "/to" when arg1 is not null:
                (_toUser, _channel) = (arg1, null);
                if (rest is not null)
                {
                    await _client.SendDirectAsync(arg1, rest, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                break;

            case "/in" when arg1 is not null && rest is not null:
                await _client.SendAsync(arg1, rest, cancellationToken: cancellationToken).ConfigureAwait(false);
                break;

            case "/join" when arg1 is not null:
                (_toUser, _channel) = (null, arg1);
                await Print($"* talking in {arg1}").ConfigureAwait(false);
                break;

            case "/group" when arg1 is not null:
                WireChannel group = await _client.CreateGroupAsync(arg1, Users(rest), cancellationToken).ConfigureAwait(false);
                (_toUser, _channel) = (null, group.Id);
                await Print($"* created {group.Id} \"{group.Name}\" with {string.Join(", ", group.Members)}; talking in it").ConfigureAwait(false);
                break;

            case "/add" when arg1 is not null && rest is not null:
                WireChannel added = await _client.AddMembersAsync(arg1, Users(rest), cancellationToken).ConfigureAwait(false);
                await Print($"* {added.Id} members: {string.Join(", ", added.Members)}").ConfigureAwait(false);
                break;

            case "/remove" when arg1 is not null && rest is not null:
                WireChannel removed = await _client.RemoveMembersAsync(arg1, Users(rest), cancellationToken).ConfigureAwait(false);
                await Print($"* {removed.Id} members: {string.Join(", ", removed.Members)}").ConfigureAwait(false);
                break;

            case "/leave" when arg1 is not null:
                await _client.RemoveMembersAsync(arg1, [_client.User ?? ""], cancellationToken).ConfigureAwait(false);
                await Print($"* left {arg1}").ConfigureAwait(false);
                break;

            case "/history":
                await HistoryAsync(arg1, rest, cancellationToken).ConfigureAwait(false);
                break;

            case "/channels":
                await ListChannelsAsync(cancellationToken).ConfigureAwait(false);
                break;

            case "/who" when arg1 is not null:
                string[] users = Users(rest is null ? arg1 : arg1 + "," + rest);
                foreach (WirePresence p in await _client.SubscribePresenceAsync(users, cancellationToken).ConfigureAwait(false))
                {
                    string seen = p.LastActiveAt > 0
                        ? ", last active " + DateTimeOffset.FromUnixTimeMilliseconds(p.LastActiveAt).ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
                        : "";
                    await Print($"* {p.User} is {p.Status}{seen}").ConfigureAwait(false);
                }

                break;

            case "/read":
                string? readChannel = arg1 ?? _channel;
                if (readChannel is null || !_newestSeen.TryGetValue(readChannel, out long upTo))
                {
                    await Print("! nothing to mark read; /read CHANNEL after a message arrived there").ConfigureAwait(false);
                    break;
                }

                await _client.MarkReadAsync(readChannel, upTo, cancellationToken).ConfigureAwait(false);
                await Print($"* marked {readChannel} read up to #{upTo}").ConfigureAwait(false);
                break;

            case "/typing":
                if ((arg1 ?? _channel) is { } typingChannel)
                {
                    await _client.TypingAsync(typingChannel, cancellationToken).ConfigureAwait(false);
                }

                break;

            case "/ping":
                TimeSpan rtt = await _client.PingAsync(cancellationToken).ConfigureAwait(false);
                await Print($"* pong in {rtt.TotalMilliseconds:0.0} ms").ConfigureAwait(false);
                break;

            default:
                await Print($"! unknown command or missing arguments: {line}; /help lists the commands").ConfigureAwait(false);
                break;
        }
    }

    private async Task SendToCurrentAsync(string text, CancellationToken cancellationToken)
    {
        if (_toUser is not null)
        {
            await _client.SendDirectAsync(_toUser, text, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else if (_channel is not null)
        {
            await _client.SendAsync(_channel, text, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await Print("! nobody to talk to yet: /to USER TEXT, /join CHANNEL or /group NAME A,B").ConfigureAwait(false);
        }
    }

    private async Task HistoryAsync(string? arg1, string? rest, CancellationToken cancellationToken)
    {
        int limit = 20;
        string? channel = _channel;
        if (arg1 is not null && int.TryParse(arg1, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            limit = n;
        }
        else if (arg1 is not null)
        {
            channel = arg1;
            if (rest is not null && int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out n))
            {
                limit = n;
            }
        }

        if (channel is null)
        {
            await Print("! which channel? /history CHANNEL [N] (see /channels)").ConfigureAwait(false);
            return;
        }

        HistoryResult page = await _client.HistoryAsync(channel, limit: Math.Clamp(limit, 1, 200), cancellationToken: cancellationToken).ConfigureAwait(false);
        await Print($"* history of {channel}{(page.HasMore ? " (older messages exist)" : "")}:").ConfigureAwait(false);
        foreach (WireMessage m in page.Messages)
        {
            await Print($"  #{m.ChannelSeq} {m.From}: {m.Body}").ConfigureAwait(false);
        }
    }

    private async Task ListChannelsAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<WireChannel> channels = await _client.ChannelsAsync(cancellationToken).ConfigureAwait(false);
        if (channels.Count == 0)
        {
            await Print("* no channels yet").ConfigureAwait(false);
        }

        foreach (WireChannel c in channels)
        {
            string last = c.LastMessage is { } m ? $" — {m.From}: {m.Body}" : "";
            await Print($"* {c.Id} ({c.Kind}{(c.Name is { } name ? " " + name : "")}) {c.Unread} unread, members {string.Join(",", c.Members)}{last}")
                .ConfigureAwait(false);
        }
    }

    private static string[] Users(string? list) =>
        list is null ? [] : list.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private Task Print(string line)
    {
        _out.WriteLine(line);
        return Task.CompletedTask;
    }
}
