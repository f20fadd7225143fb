using Microsoft.AspNetCore.SignalR;

namespace SignalRBaseline;

/// <summary>Takes the user id from the <c>user</c> query parameter (benchmark only, no real authentication).</summary>
internal sealed class QueryUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection)
        => connection.GetHttpContext()?.Request.Query["user"].ToString();
}
