using Microsoft.AspNetCore.SignalR;

namespace SignalRBaseline;

/// <summary>The chat hub: 1:1 through <c>Clients.User</c>, groups through <c>Clients.Group</c>, presence through groups.</summary>
internal sealed class ChatHub(Inboxes inboxes, PresenceTracker presence, DeliveryOptions delivery) : Hub
{
    private string User => Context.UserIdentifier ?? throw new HubException("no user");

    public override async Task OnConnectedAsync()
    {
        var user = User;
        var http = Context.GetHttpContext();

        // The user's own group reaches the user's other devices (multi-device sync of own messages).
        await Groups.AddToGroupAsync(Context.ConnectionId, "u:" + user);
        if (presence.Connected(user))
        {
            await Clients.Group("p:" + user).SendAsync("presence", user, "online");
        }

        if (http is not null && long.TryParse(http.Request.Query["after"], out var after))
        {
            foreach (var body in inboxes.Get(user).After(after))
            {
                await Clients.Caller.SendAsync("m", body);
            }
        }

        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        var user = User;
        if (presence.Disconnected(user))
        {
            await Clients.Group("p:" + user).SendAsync("presence", user, "offline");
        }

        await base.OnDisconnectedAsync(exception);
    }

    /// <summary>1:1: every device of the recipient, and the sender's other devices.</summary>
    /// <remarks>
    /// <c>Clients.User</c> is what SignalR offers for this, but the default (single-node) lifetime manager
    /// finds a user's connections by scanning every connection; <c>--UserDelivery=group</c> uses the
    /// per-user group instead, the usual workaround once that shows.
    /// </remarks>
    public Task SendDirect(string to, string body)
        => Task.WhenAll(
            delivery.UserGroups ? Clients.Group("u:" + to).SendAsync("m", body) : Clients.User(to).SendAsync("m", body),
            Clients.OthersInGroup("u:" + User).SendAsync("m", body));

    /// <summary>1:1 that is also kept for the recipient's offline devices (reconnect storm).</summary>
    public Task SendDirectStored(string to, string body)
    {
        inboxes.Get(to).Append(body);
        return delivery.UserGroups ? Clients.Group("u:" + to).SendAsync("m", body) : Clients.User(to).SendAsync("m", body);
    }

    public Task SendGroup(string group, string body) => Clients.Group("g:" + group).SendAsync("m", body);

    public Task Join(string group) => Groups.AddToGroupAsync(Context.ConnectionId, "g:" + group);

    public async Task Subscribe(string[] users)
    {
        foreach (var user in users)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, "p:" + user);
        }
    }
}
