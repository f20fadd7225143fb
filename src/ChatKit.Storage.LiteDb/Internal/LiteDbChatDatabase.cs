using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using ChatKit.Storage.LiteDb.Hosting;
using LiteDB;
using LiteDB.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatKit.Storage.LiteDb.Internal;

/// <summary>
/// The one LiteDB file of a host: opens it (lazily, or at host start through <see cref="LiteDbStartupService"/>),
/// owns the write queue, the journal file and the maintenance thread, and closes it.
/// </summary>
/// <remarks>
/// <para>Writes: every write of every store goes through <see cref="WriteAsync{T}"/> into one queue. One batch runs
/// at a time: the caller that finds the writer free takes up to <see cref="LiteDbStorageOptions.MaxBatchSize"/>
/// waiting writes and runs them itself; what queued meanwhile is run by a thread-pool item (group commit, without a
/// hand-off to a writer thread when the node is not busy). A batch runs its writes, lets the participant (the message
/// store) append what the batch recorded to the journal, and only then completes their callers' tasks. Writes of
/// LiteDB documents (push tokens) run inside one LiteDB transaction per batch, begun and committed on the thread
/// that runs the batch (LiteDB binds an explicit transaction to its thread) and written to LiteDB's log in
/// <c>Commit()</c>; a batch of journal-only writes begins none. Either way a completed write is in the file: a
/// process killed after that keeps it; one killed before keeps none of the batch.</para>
/// <para>Maintenance: a dedicated thread runs the participant's background work (folding the journal into the
/// indexed layout) in its own transaction when it is due, concurrently with the writer's batches, and checkpoints
/// the log. At close it runs once more after the writer's last batch.</para>
/// <para>Reads run on the caller's thread outside any explicit transaction: LiteDB gives each of them a snapshot
/// of the last committed transaction, so a read never sees a batch that is still running.</para>
/// <para>If a batch fails, it is rolled back, the participant forgets what it did, and its writes are retried one
/// per transaction so that one bad write fails alone.</para>
/// </remarks>
internal sealed class LiteDbChatDatabase : IDisposable
{
    /// <summary>The version of the document layout this code writes; a file with a newer one is refused.</summary>
    public const int SchemaVersion = 6;

    /// <summary>The oldest layout this code opens and upgrades in place (every one from it up to <see cref="SchemaVersion"/>).</summary>
    private const int UpgradableSchemaVersion = 2;

    private const string MetaCollection = "meta";
    private static readonly TimeSpan MaintenanceRetryDelay = TimeSpan.FromSeconds(1);

    private readonly LiteDbStorageOptions _options;
    private readonly ILogger _logger;
    private readonly object _openGate = new();
    private IWriterParticipant? _participant;
    private readonly Channel<WriteOperation> _queue;
    private LiteDatabase? _db;
    private FileStream? _lock;
    private JournalFile? _journal;
    private readonly List<WriteOperation> _batch = [];

    // LiteDB 5.0.21 can hand a query that starts while another transaction commits or checkpoints a page of the
    // wrong version ("page type must be collection page", after which the engine refuses every call): under
    // overload, when lagging sessions refill from the file, the load test hit it within seconds, and the
    // concurrency test in 6 of 10 runs with the CPU busy. So every read of the file holds this gate shared; every
    // commit and checkpoint holds it alone; a transaction that writes documents (a materialization, a batch of
    // push-token writes) holds it upgradeable from begin to commit, one at a time. LiteDB's own checkpoint is off.
    private readonly ReaderWriterLockSlim _checkpointGate = new(LockRecursionPolicy.SupportsRecursion);
    private readonly int _maxBatchSize;
    private int _writing;
    private Thread? _maintainer;
    private readonly SemaphoreSlim _maintenanceSignal = new(0);
    private volatile bool _closing;
    private string? _fullPath;
    private bool _disposed;
    private long _committedBatches;

    // How long this thread's last commit held the checkpoint gate (Stopwatch ticks), for the maintenance log: the
    // writer's batches commit on other threads meanwhile.
    [ThreadStatic]
    private static long t_lastCommitHeld;

    public LiteDbChatDatabase(IOptions<LiteDbStorageOptions> options, ILogger<LiteDbChatDatabase> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Value;
        _logger = logger;
        _maxBatchSize = Math.Max(1, _options.MaxBatchSize);
        _queue = Channel.CreateBounded<WriteOperation>(new BoundedChannelOptions(Math.Max(1, _options.QueueCapacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The storage options.</summary>
    public LiteDbStorageOptions Options => _options;

    /// <summary>The full path of the database file.</summary>
    public string FullPath => _fullPath ?? System.IO.Path.GetFullPath(_options.Path);

    /// <summary>The full path of LiteDB's write-ahead log next to the database file.</summary>
    public string LogPath => LogPathOf(FullPath);

    /// <summary>The open database, opening it on first use.</summary>
    public LiteDatabase Db => _db ?? Open();

    /// <summary>The append-only journal next to the file (open once <see cref="Db"/> is).</summary>
    public JournalFile Journal
    {
        get
        {
            _ = Db;
            return _journal!;
        }
    }

    /// <summary>Transactions committed by the writer (for tests and the benchmark).</summary>
    public long CommittedBatches => Interlocked.Read(ref _committedBatches);

    /// <summary>The path of LiteDB's write-ahead log for a database file (<c>NAME-log.EXT</c>).</summary>
    public static string LogPathOf(string path) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path) ?? "",
            System.IO.Path.GetFileNameWithoutExtension(path) + "-log" + System.IO.Path.GetExtension(path));

    /// <summary>
    /// Registers the one store that keeps writer-side state across a batch (the message store): it hears about every
    /// commit and rollback, and gets the writer between batches for its background work. Called at construction.
    /// </summary>
    public void RegisterParticipant(IWriterParticipant participant)
    {
        ArgumentNullException.ThrowIfNull(participant);
        if (Interlocked.CompareExchange(ref _participant, participant, null) is not null)
        {
            throw new InvalidOperationException($"The LiteDB database '{FullPath}' already has a message store; one database serves one.");
        }
    }

    /// <summary>
    /// Opens the file if it is not open yet. Throws <see cref="InvalidOperationException"/> naming the file and the
    /// cause when it is locked by another process, corrupt, or not a ChatKit database.
    /// </summary>
    public LiteDatabase Open()
    {
        lock (_openGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_db is not null)
            {
                return _db;
            }

            var started = Stopwatch.StartNew();
            string path;
            try
            {
                path = System.IO.Path.GetFullPath(_options.Path);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
            {
                throw new InvalidOperationException($"ChatKit:LiteDb:Path '{_options.Path}' is not a valid file path: {ex.Message}", ex);
            }

            _fullPath = path;
            FileStream? fileLock = null;
            LiteDatabase? db = null;
            JournalFile? journal = null;
            try
            {
                string? directory = System.IO.Path.GetDirectoryName(path);
                if (!string.IsNullOrEmpty(directory))
                {
                    Directory.CreateDirectory(directory);
                }

                fileLock = AcquireLock(path);
                db = OpenEngine(path);
                PrepareSchema(db, path);
                journal = JournalFile.Open(path);
            }
            catch
            {
                journal?.Dispose();
                db?.Dispose();
                fileLock?.Dispose();
                throw;
            }

            _lock = fileLock;
            _journal = journal;
            _db = db;
            _maintainer = new Thread(RunMaintenance) { IsBackground = true, Name = "ChatKit LiteDB maintenance" };
            _maintainer.Start();
            Log.Opened(_logger, path, started.ElapsedMilliseconds);
            return db;
        }
    }

    /// <summary>
    /// Queues a write and completes when the batch that contains it has committed (runs the batch on this thread when
    /// the writer is free). <paramref name="work"/> runs inside that batch, one batch at a time, and must do all of
    /// its reads and writes through <see cref="Db"/> synchronously; with <paramref name="writesDocuments"/> false it
    /// writes no LiteDB document (the batch may then have no LiteDB transaction).
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<T> work, CancellationToken cancellationToken, bool writesDocuments = true)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _ = Db;
        var operation = new WriteOperation<T>(work, writesDocuments, cancellationToken);
        try
        {
            if (!_queue.Writer.TryWrite(operation))
            {
                await _queue.Writer.WriteAsync(operation, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(LiteDbChatDatabase), $"The LiteDB database '{FullPath}' is closed.");
        }

        TryWrite();
        return await operation.Task.ConfigureAwait(false);
    }

    /// <summary>Runs a read of the file; a checkpoint waits until it is done (see <c>_checkpointGate</c>).</summary>
    public T Read<T>(Func<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        _checkpointGate.EnterReadLock();
        try
        {
            return read();
        }
        finally
        {
            _checkpointGate.ExitReadLock();
        }
    }

    /// <summary>Runs a read of the file that returns nothing (see <see cref="Read{T}"/>).</summary>
    public void Read(Action read)
    {
        ArgumentNullException.ThrowIfNull(read);
        _checkpointGate.EnterReadLock();
        try
        {
            read();
        }
        finally
        {
            _checkpointGate.ExitReadLock();
        }
    }

    /// <summary>
    /// Commits the transaction of this thread with no read of the file running (see <c>_checkpointGate</c>); the
    /// caller began it inside <see cref="Writing"/>.
    /// </summary>
    public void Commit(LiteDatabase db)
    {
        ArgumentNullException.ThrowIfNull(db);
        _checkpointGate.EnterWriteLock();
        long held = Stopwatch.GetTimestamp();
        try
        {
            db.Commit();
        }
        finally
        {
            _checkpointGate.ExitWriteLock();
            t_lastCommitHeld = Stopwatch.GetTimestamp() - held;
        }
    }

    /// <summary>Runs a transaction that writes documents, one at a time (see <c>_checkpointGate</c>).</summary>
    public void Writing(Action write)
    {
        ArgumentNullException.ThrowIfNull(write);
        _checkpointGate.EnterUpgradeableReadLock();
        try
        {
            write();
        }
        finally
        {
            _checkpointGate.ExitUpgradeableReadLock();
        }
    }

    /// <summary>Holds the checkpoint gate for a lazy read, until <see cref="ExitRead"/> on the same thread.</summary>
    public void EnterRead() => _checkpointGate.EnterReadLock();

    /// <summary>Releases what <see cref="EnterRead"/> took.</summary>
    public void ExitRead() => _checkpointGate.ExitReadLock();

    /// <summary>Stops the writer after it has committed every queued write, then closes the file.</summary>
    public void Dispose()
    {
        lock (_openGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        // No write is queued after this; take the writer for good and run what is left.
        _queue.Writer.TryComplete();
        var wait = new SpinWait();
        while (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            wait.SpinOnce(sleep1Threshold: 1);
        }

        while (_queue.Reader.Count > 0)
        {
            RunBatch();
        }

        // After the last batch: the participant's final maintenance (everything pending folded in), then close.
        _closing = true;
        _maintenanceSignal.Release();
        _maintainer?.Join();
        _maintenanceSignal.Dispose();
        _journal?.Dispose();
        if (_db is not null)
        {
            _db.Dispose();
            Log.Closed(_logger, _fullPath!);
        }

        _lock?.Dispose();
    }

    private static FileStream AcquireLock(string path)
    {
        // LiteDB's direct mode lets a second engine open the same file, which would corrupt it. One lock file
        // held exclusively (an OS lock on Linux and Windows) keeps a second host, in this process or another, out.
        string lockPath = path + ".lock";
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException(
                $"ChatKit could not open the LiteDB database '{path}': it is locked by another process or another ChatKit host " +
                $"(the lock file '{lockPath}' is held). Stop the other instance or set ChatKit:LiteDb:Path to another file.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new InvalidOperationException(
                $"ChatKit could not open the LiteDB database '{path}': no permission to create or open '{lockPath}'.", ex);
        }
    }

    private static LiteDatabase OpenEngine(string path)
    {
        LiteEngine? engine = null;
        try
        {
            // Ordinal collation: keys such as "alice|00000000000000a1" must compare byte by byte, case-sensitively,
            // for range scans over one user's inbox or one channel's history.
            engine = new LiteEngine(new EngineSettings { Filename = path, Collation = Collation.Binary, AutoRebuild = false });
            var db = new LiteDatabase(engine, null, disposeOnClose: true);

            // Checkpoints only from MaybeCheckpoint, behind the checkpoint gate.
            db.CheckpointSize = 0;
            if (db.Collation.SortOptions != CompareOptions.Ordinal)
            {
                string collation = db.Collation.ToString();
                db.Dispose();
                throw new InvalidOperationException(
                    $"ChatKit could not open the LiteDB database '{path}': it was created with collation '{collation}', " +
                    "not the ordinal collation ChatKit creates its files with. Use a file ChatKit created.");
            }

            return db;
        }
        catch (InvalidOperationException)
        {
            throw;
        }
        catch (IOException ex)
        {
            engine?.Dispose();
            throw new InvalidOperationException(
                $"ChatKit could not open the LiteDB database '{path}': the file is in use by another process or cannot be read ({ex.Message})", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            engine?.Dispose();
            throw new InvalidOperationException($"ChatKit could not open the LiteDB database '{path}': no permission ({ex.Message})", ex);
        }
        catch (Exception ex)
        {
            engine?.Dispose();
            throw new InvalidOperationException(
                $"ChatKit could not open the LiteDB database '{path}': the file is corrupt or not a LiteDB database " +
                $"({ex.GetType().Name}: {ex.Message}). Restore it from a backup or move it away to start empty.", ex);
        }
    }

    private static void PrepareSchema(LiteDatabase db, string path)
    {
        try
        {
            ILiteCollection<BsonDocument> meta = db.GetCollection(MetaCollection);
            BsonDocument? schema = meta.FindById("schema");
            if (schema is null)
            {
                var foreign = db.GetCollectionNames().Where(n => !LiteDbCollections.All.Contains(n, StringComparer.Ordinal)).ToList();
                if (foreign.Count > 0)
                {
                    throw new InvalidOperationException(
                        $"ChatKit could not open the LiteDB database '{path}': it is not a ChatKit database (it has the collections {string.Join(", ", foreign)}).");
                }

                meta.Insert(new BsonDocument { ["_id"] = "schema", ["v"] = SchemaVersion });
            }
            else if (schema["v"].AsInt32 >= UpgradableSchemaVersion && schema["v"].AsInt32 < SchemaVersion)
            {
                // Version 2 kept the journal in a collection, which is still replayed; version 3 added the journal
                // file; version 4 lets history and inbox blocks start anywhere (3 started them at multiples of the
                // block size, which 4 reads as it is); version 5 stops rewriting a channel's document for every
                // message (its last channelSeq and activity come from the newest history block when newer, which
                // earlier documents, always current, never are) and indexes channels by activity instead of history
                // blocks by time (below); version 6 lets an inbox entry refer back to the one before it in its block
                // (its channel and created-at; earlier entries never do, so they read unchanged). An older ChatKit
                // would misread what this one writes (it would reuse channelSeqs, or fail on an inbox entry): mark
                // the file so that it refuses it.
                schema["v"] = SchemaVersion;
                meta.Update(schema);
            }
            else if (schema["v"].AsInt32 < SchemaVersion)
            {
                throw new InvalidOperationException(
                    $"ChatKit could not open the LiteDB database '{path}': it was written by an earlier ChatKit (layout version {schema["v"].AsInt32}; " +
                    $"this one reads versions {UpgradableSchemaVersion} to {SchemaVersion}). Move it away to start empty.");
            }
            else if (schema["v"].AsInt32 > SchemaVersion)
            {
                throw new InvalidOperationException(
                    $"ChatKit could not open the LiteDB database '{path}': it was written by a newer ChatKit (layout version {schema["v"].AsInt32}; this one reads up to {SchemaVersion}).");
            }

            // Every collection exists before the writer and the maintenance thread start: LiteDB 5 can trip over a
            // collection created by one transaction while another reads it ("page type must be collection page").
            foreach (string collection in LiteDbCollections.All)
            {
                db.GetCollection(collection).EnsureIndex("_id", "$._id", unique: true);
            }

            // Channels by their document's activity time: the dedupe filter is rebuilt from the channels active in the
            // last window only. Up to layout version 4 history blocks were indexed by time instead, which cost an
            // index insert per block: a fifth of the index work of folding the journal in.
            db.GetCollection(LiteDbCollections.Channels).EnsureIndex("a", "$.a");
            db.GetCollection(LiteDbCollections.Messages).DropIndex("t");
        }
        catch (InvalidOperationException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException(
                $"ChatKit could not open the LiteDB database '{path}': the file is corrupt ({ex.GetType().Name}: {ex.Message}). " +
                "Restore it from a backup or move it away to start empty.", ex);
        }
    }

    /// <summary>
    /// Runs one batch of queued writes if no other thread is running one (the caller that finds the writer free
    /// becomes it), then hands what is still queued to a thread-pool item. Batches are serialized by
    /// <c>_writing</c>; each runs synchronously from its transaction's begin to its commit, as LiteDB binds a
    /// transaction to the thread that began it.
    /// </summary>
    private void TryWrite()
    {
        // A write queued while the batch ran found the writer taken (its thread leaves it to whoever holds it): look
        // once more now that it is free. The caller of this one is waiting for its own answer, so the rest goes to
        // the thread pool.
        if (TryRunBatch() && _queue.Reader.Count > 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static db => db.DrainQueue(), this, preferLocal: false);
        }
    }

    private void DrainQueue()
    {
        while (_queue.Reader.Count > 0 && TryRunBatch())
        {
        }
    }

    /// <summary>Runs one batch if the writer is free; returns false if another thread holds it.</summary>
    private bool TryRunBatch()
    {
        if (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            RunBatch();
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }

        // A full fence between freeing the writer and the caller's look at the queue (a writer that found it taken
        // queued first, then looked).
        Interlocked.MemoryBarrier();
        return true;
    }

    /// <summary>Takes up to <see cref="LiteDbStorageOptions.MaxBatchSize"/> queued writes and runs them in one transaction.</summary>
    private void RunBatch()
    {
        List<WriteOperation> batch = _batch;
        try
        {
            while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out WriteOperation? next))
            {
                batch.Add(next);
            }

            batch.RemoveAll(static op => op.TryCancelBeforeStart());
            if (batch.Count > 0)
            {
                ExecuteBatch(batch);
            }
        }
        catch (Exception ex)
        {
            // Never leave a caller waiting: fail what is left of the batch and keep serving.
            Log.WriterFailed(_logger, ex);
            foreach (WriteOperation op in batch)
            {
                op.Fail(ex);
            }
        }
        finally
        {
            batch.Clear();
        }
    }

    /// <summary>Wakes the maintenance thread: the participant has work due now.</summary>
    public void RequestMaintenance()
    {
        if (_maintenanceSignal.CurrentCount == 0)
        {
            _maintenanceSignal.Release();
        }
    }

    /// <summary>
    /// The maintenance thread: runs the participant's background work (in its own transaction, concurrently with
    /// the writer's batches, so that a long materialization never holds up a commit) when it is due, and checkpoints
    /// the log. At close it runs once more and stops.
    /// </summary>
    private void RunMaintenance()
    {
        BackgroundPriority.LowerCurrentThread();
        while (true)
        {
            bool closing = _closing;
            TimeSpan? due = _participant?.MaintenanceDueIn(closing);
            if (due is null && closing)
            {
                return;
            }

            if (due != TimeSpan.Zero)
            {
                _maintenanceSignal.Wait(due ?? Timeout.InfiniteTimeSpan);
                continue;
            }

            try
            {
                long started = Stopwatch.GetTimestamp();
                t_lastCommitHeld = 0;
                Writing(() => _participant!.Maintain(_db!));
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    Log.Maintained(_logger, _fullPath!, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                        (long)Stopwatch.GetElapsedTime(0, t_lastCommitHeld).TotalMilliseconds);
                }

                MaybeCheckpoint();
            }
            catch (Exception ex)
            {
                // The participant rolled its transaction back and kept its state; retry later, not in a tight loop,
                // and give up at close (what is pending stays in the journal for the next open).
                Log.WriterFailed(_logger, ex);
                if (closing)
                {
                    return;
                }

                _maintenanceSignal.Wait(MaintenanceRetryDelay);
            }
        }
    }

    private void ExecuteBatch(List<WriteOperation> batch)
    {
        bool transaction = batch.Exists(static op => op.WritesDocuments);
        if (!transaction)
        {
            // A batch of journal-only writes takes the checkpoint gate for each of its few reads of the file (most
            // find what they need in memory), so that a checkpoint holds up sends only when they must read the file.
            ExecuteBatch(batch, transaction: false);
            return;
        }

        Writing(() => ExecuteBatch(batch, transaction: true));
    }

    private void ExecuteBatch(List<WriteOperation> batch, bool transaction)
    {
        LiteDatabase db = _db!;
        try
        {
            _participant?.BeforeBatch();
            if (transaction)
            {
                db.BeginTrans();
            }

            foreach (WriteOperation op in batch)
            {
                op.Execute();
            }

            _participant?.BeforeCommit(db);
            if (transaction)
            {
                Commit(db);
            }
        }
        catch (Exception ex)
        {
            RollBack(db);
            if (batch.Count == 1)
            {
                batch[0].Fail(ex);
                return;
            }

            Log.BatchFailed(_logger, batch.Count, ex);
            foreach (WriteOperation op in batch)
            {
                ExecuteAlone(db, op);
            }

            return;
        }

        _participant?.AfterCommit();
        Interlocked.Increment(ref _committedBatches);
        foreach (WriteOperation op in batch)
        {
            op.Complete();
        }
    }

    private void ExecuteAlone(LiteDatabase db, WriteOperation op)
    {
        try
        {
            _participant?.BeforeBatch();
            if (op.WritesDocuments)
            {
                db.BeginTrans();
            }

            op.Execute();
            _participant?.BeforeCommit(db);
            if (op.WritesDocuments)
            {
                Commit(db);
            }
        }
        catch (Exception ex)
        {
            RollBack(db);
            op.Fail(ex);
            return;
        }

        _participant?.AfterCommit();
        Interlocked.Increment(ref _committedBatches);
        op.Complete();
    }

    private void RollBack(LiteDatabase db)
    {
        try
        {
            db.Rollback();
        }
        catch (Exception ex)
        {
            Log.WriterFailed(_logger, ex);
        }

        _participant?.AfterRollback();
    }

    private void MaybeCheckpoint()
    {
        // The only checkpoint of this node (LiteDB's own is off, see _checkpointGate): past the configured log size,
        // on the maintenance thread after a materialization, once every read and batch in progress has finished.
        var log = new FileInfo(LogPath);
        if (log.Exists && log.Length > _options.CheckpointLogBytes)
        {
            // Not on this thread: it runs at a low priority, and every read waits while the checkpoint holds the
            // gate, so a checkpoint starved by the requests it holds up would stall them for longer. Nor on a
            // thread-pool worker: it blocks for 150–740 ms, and a node on one core runs with two or three workers
            // (two in the load test), so it would take half of them from the requests for that long.
            long gateWait = 0;
            long held = 0;
            Task.Factory.StartNew(() =>
            {
                long waiting = Stopwatch.GetTimestamp();
                _checkpointGate.EnterWriteLock();
                held = Stopwatch.GetTimestamp();
                gateWait = (long)Stopwatch.GetElapsedTime(waiting, held).TotalMilliseconds;
                try
                {
                    _db!.Checkpoint();
                }
                finally
                {
                    _checkpointGate.ExitWriteLock();
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).GetAwaiter().GetResult();

            Log.Checkpointed(_logger, _fullPath!, log.Length, (long)Stopwatch.GetElapsedTime(held).TotalMilliseconds, gateWait);
        }
    }
}
