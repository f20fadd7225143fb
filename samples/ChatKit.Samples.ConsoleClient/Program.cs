using System.Runtime.InteropServices;
using ChatKit.Client;
using ChatKit.Samples.ConsoleClient;

// dotnet run --project samples/ChatKit.Samples.ConsoleClient -- --server http://127.0.0.1:5000 --user alice --device laptop
ConsoleOptions? options = ConsoleOptions.Parse(args, Console.Error);
if (options is null)
{
    return 2;
}

using var quit = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    quit.Cancel();
};
using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    quit.Cancel();
});

using var http = new HttpClient();
Directory.CreateDirectory(options.StateDirectory);
var cursorStore = new FileCursorStore(Path.Combine(options.StateDirectory, $"{Sanitize(options.User)}.{Sanitize(options.Device)}.cursor"));

await using var client = new ChatClient(new ChatClientOptions
{
    ServerUri = new Uri(options.Server, options.Path),
    Device = options.Device,
    CursorStore = cursorStore,

    // A fresh token for every connection attempt, so a reconnect after the token expired still works.
    AccessTokenProvider = async cancellationToken =>
        options.Token ?? await DevLogin.GetTokenAsync(http, options.Server, options.User, cancellationToken).ConfigureAwait(false),
});
var chat = new ChatConsole(client, Console.Out);

try
{
    await client.ConnectAsync(quit.Token);
}
catch (Exception ex) when (ex is ChatClientException or InvalidOperationException or HttpRequestException)
{
    Console.Error.WriteLine($"could not connect: {ex.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    return 130;
}

await chat.RunAsync(Console.In, quit.Token);
if (options.StayAfterEof && !quit.IsCancellationRequested)
{
    try
    {
        await Task.Delay(Timeout.Infinite, quit.Token);
    }
    catch (OperationCanceledException)
    {
        // Ctrl+C or SIGTERM.
    }
}

return 0;

static string Sanitize(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or '+' ? c : '_'));
