namespace ChatKit.Storage.LiteDb.Internal;

/// <summary>
/// One write waiting for its batch. <see cref="Execute"/> runs inside a batch that other writes share; the caller's
/// task completes only in <see cref="Complete"/>, after that batch committed.
/// </summary>
internal abstract class WriteOperation
{
    /// <summary>
    /// Whether the work writes LiteDB documents and so needs the batch's transaction. Writes recorded only in the
    /// journal (the message store's) do not: a batch of them begins none, so that it never waits for LiteDB's locks
    /// (a checkpoint takes them all).
    /// </summary>
    public abstract bool WritesDocuments { get; }

    /// <summary>Cancels the write if its caller gave up before it started; returns whether it did.</summary>
    public abstract bool TryCancelBeforeStart();

    /// <summary>Performs the writes (inside the running batch) and keeps the result.</summary>
    public abstract void Execute();

    /// <summary>Hands the kept result to the caller: the transaction has committed.</summary>
    public abstract void Complete();

    /// <summary>Fails the caller's task: the transaction was rolled back.</summary>
    public abstract void Fail(Exception exception);
}
