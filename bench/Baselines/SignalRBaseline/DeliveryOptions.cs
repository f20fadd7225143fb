namespace SignalRBaseline;

/// <summary>How 1:1 messages find the recipient: <c>Clients.User</c> (default) or the per-user group (<c>--UserDelivery=group</c>).</summary>
internal sealed record DeliveryOptions(bool UserGroups);
