namespace ChatKit.Push;

/// <summary>Push addresses by user and device.</summary>
public interface IPushTokenStore
{
    /// <summary>Binds a token to a device, replacing the device's previous token of the same provider.</summary>
    /// <param name="token">The binding.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask RegisterAsync(PushToken token, CancellationToken cancellationToken = default);

    /// <summary>Removes a binding. Returns whether one existed.</summary>
    /// <param name="token">The binding.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask<bool> UnregisterAsync(PushToken token, CancellationToken cancellationToken = default);

    /// <summary>All bindings of a user.</summary>
    /// <param name="user">The user.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<PushToken>> GetTokensAsync(string user, CancellationToken cancellationToken = default);
}
