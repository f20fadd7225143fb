using ChatKit.Storage.LiteDb.Internal;
using Microsoft.Extensions.Hosting;

namespace ChatKit.Storage.LiteDb.Hosting;

/// <summary>
/// Opens the LiteDB file when the host starts, so that a locked or corrupt file stops the start with a message
/// naming the file and the cause, instead of failing the first request. Constructors open nothing.
/// </summary>
internal sealed class LiteDbStartupService(LiteDbChatDatabase database) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        database.Open();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
