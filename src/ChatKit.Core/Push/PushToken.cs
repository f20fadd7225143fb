namespace ChatKit.Push;

/// <summary>A push address bound to one device of one user.</summary>
/// <param name="User">The user.</param>
/// <param name="Device">The device.</param>
/// <param name="Provider">The provider (<c>webpush</c>, <c>fcm</c>, <c>apns</c>, …).</param>
/// <param name="Token">The provider's address (for Web Push: the subscription JSON).</param>
public sealed record PushToken(string User, string Device, string Provider, string Token);
