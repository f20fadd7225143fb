using LiteDB;

namespace ChatKit.Storage.LiteDb.Internal;

/// <summary>
/// A store that keeps writer-side state across the writes of a batch and needs to hear about the batch's end (see
/// <see cref="LiteDbChatDatabase"/>). Every member but <see cref="Maintain"/> runs inside the running batch, one batch
/// at a time (on whichever thread runs it); <see cref="Maintain"/> runs on the maintenance thread.
/// </summary>
internal interface IWriterParticipant
{
    /// <summary>Before the batch's transaction begins (it will see everything committed so far).</summary>
    void BeforeBatch();

    /// <summary>Inside the batch's transaction, after its writes ran: write what the batch recorded.</summary>
    void BeforeCommit(LiteDatabase db);

    /// <summary>The batch's transaction committed: make its effects visible to readers.</summary>
    void AfterCommit();

    /// <summary>The batch's transaction was rolled back: forget everything it did.</summary>
    void AfterRollback();

    /// <summary>
    /// How long the writer may wait idle before <see cref="Maintain"/> is due: <see langword="null"/> when nothing is
    /// pending, <see cref="TimeSpan.Zero"/> when it is due now.
    /// </summary>
    TimeSpan? MaintenanceDueIn(bool closing);

    /// <summary>Background work between batches, in its own transaction that the participant begins and commits.</summary>
    void Maintain(LiteDatabase db);
}
