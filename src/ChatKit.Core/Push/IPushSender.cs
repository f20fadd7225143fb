namespace ChatKit.Push;

/// <summary>Sends notifications through one provider. Register one per provider; <see cref="Provider"/> selects it.</summary>
public interface IPushSender
{
    /// <summary>The provider name this sender handles, as clients give it in <c>push.register</c>.</summary>
    string Provider { get; }

    /// <summary>Sends one notification.</summary>
    /// <param name="token">Where to.</param>
    /// <param name="notification">What.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    ValueTask<PushResult> SendAsync(PushToken token, PushNotification notification, CancellationToken cancellationToken = default);
}
