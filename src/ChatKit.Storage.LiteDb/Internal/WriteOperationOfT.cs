namespace ChatKit.Storage.LiteDb.Internal;

/// <summary>A <see cref="WriteOperation"/> whose work returns a <typeparamref name="T"/>.</summary>
internal sealed class WriteOperation<T>(Func<T> work, bool writesDocuments, CancellationToken cancellationToken) : WriteOperation
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;

    public Task<T> Task => _completion.Task;

    public override bool WritesDocuments => writesDocuments;

    public override bool TryCancelBeforeStart() =>
        cancellationToken.IsCancellationRequested && _completion.TrySetCanceled(cancellationToken);

    public override void Execute() => _result = work();

    public override void Complete() => _completion.TrySetResult(_result!);

    public override void Fail(Exception exception) => _completion.TrySetException(exception);
}
