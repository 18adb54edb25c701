using System.Data.Common;
using System.Diagnostics;
using Coliseum.Diagnostics;
using Coliseum.Storage;
using Microsoft.Extensions.Logging;

namespace Coliseum.Processing;

/// <summary>
/// Runs one consumer: holds its lease, reads the batch after its cursor, has the consumer compute it,
/// and commits the results together with the new cursor. Wakes on <see cref="LogSignal"/>, polls with a
/// growing interval when idle. A batch that keeps failing is split until the entry that fails alone is
/// found; that entry goes to <c>consumer_dead_letters</c> and the cursor moves past it.
/// </summary>
public sealed partial class ConsumerRunner
{
    private readonly Consumer _consumer;
    private readonly IPassportStore _log;
    private readonly IProcessorStore _store;
    private readonly ProcessingOptions _options;
    private readonly LogSignal _signal;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConsumerLease _lease;
    private readonly RateMeter _rate = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _cursor = -1;

    public ConsumerRunner(Consumer consumer, IPassportStore log, IProcessorStore store, ProcessingOptions options, LogSignal signal, ILogger logger, TimeProvider time, string? owner = null)
    {
        _consumer = consumer;
        _log = log;
        _store = store;
        _options = options;
        _signal = signal;
        _logger = logger;
        _time = time;
        _lease = new ConsumerLease(consumer.Name, store, time, TimeSpan.FromSeconds(options.LeaseSeconds), owner);
    }

    public string Name => _consumer.Name;

    public Consumer Consumer => _consumer;

    /// <summary>Raised after each commit that moved the cursor, with the consumer's name and new cursor (on the committing thread: keep handlers short).</summary>
    public event Action<string, long>? Advanced;

    /// <summary>The position applied up to, as this process last committed or read it (-1 before the first read).</summary>
    public long Cursor => Volatile.Read(ref _cursor);

    /// <summary>Events applied per second over the last ten seconds, in this process.</summary>
    public double EventsPerSecond => _rate.PerSecond(Second);

    private static readonly TimeSpan StandbyRetry = TimeSpan.FromSeconds(1);

    private long Second => _time.GetTimestamp() / _time.TimestampFrequency;

    /// <summary>
    /// The longest sleep of an idle loop: <c>IdlePollMilliseconds</c>, or longer while other processes' commits
    /// wake this one too (PostgreSQL's NOTIFY, <see cref="LogSignal.Pushed"/>) and the poll is only a fallback;
    /// never above a third of the lease, which an idle loop renews.
    /// </summary>
    private double LongestIdle
    {
        get
        {
            var lease = _options.LeaseSeconds * 1000.0 / 3;
            var poll = _signal.Pushed ? Math.Max(_options.IdlePollMilliseconds, _options.LeaseSeconds * 1000.0 / 4) : _options.IdlePollMilliseconds;
            return Math.Min(poll, lease);
        }
    }

    /// <summary>Keeps the consumer caught up until <paramref name="stop"/> fires; waits for the lease while another process holds it.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var idle = TimeSpan.FromMilliseconds(10);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!await _lease.EnsureAsync(stop).ConfigureAwait(false))
                {
                    // Standby: ask again every second, so this process takes over soon after the holder dies.
                    _consumer.Invalidate();
                    _cursor = -1;
                    await Task.Delay(StandbyRetry, _time, stop).ConfigureAwait(false);
                    continue;
                }
                var next = _signal.Next;
                var applied = await StepAsync(_options.BatchSize, stop).ConfigureAwait(false);
                if (applied > 0)
                {
                    idle = TimeSpan.FromMilliseconds(10);
                    continue;
                }
                // Idle: a commit wakes us at once; otherwise poll now and then (other processes may append).
                await Task.WhenAny(next, Task.Delay(idle, _time, stop)).ConfigureAwait(false);
                idle = TimeSpan.FromMilliseconds(Math.Min(idle.TotalMilliseconds * 2, LongestIdle));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (LeaseLostException ex)
            {
                LogLeaseLost(_logger, Name, ex.Message);
                _consumer.Invalidate();
                _cursor = -1;
            }
            catch (Exception ex)
            {
                // The store is unreachable or something unexpected: nothing was committed; try again shortly.
                LogLoopFailed(_logger, ex, Name);
                _consumer.Invalidate();
                _cursor = -1;
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        try
        {
            await _lease.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogLoopFailed(_logger, ex, Name);
        }
    }

    /// <summary>
    /// Applies the log up to its current head (for <c>coliseum replay</c> and tests); reports progress
    /// as (cursor, head). Takes the lease first and throws when another live process holds it.
    /// </summary>
    public async Task<long> CatchUpAsync(int batchSize, Action<long, long>? progress, CancellationToken cancellationToken)
    {
        await AcquireOrThrowAsync(cancellationToken).ConfigureAwait(false);
        var head = await _log.GetHeadAsync(cancellationToken).ConfigureAwait(false);
        long total = 0;
        while (true)
        {
            var applied = await StepAsync(batchSize, cancellationToken).ConfigureAwait(false);
            total += applied;
            progress?.Invoke(_cursor, Math.Max(head, _cursor));
            if (applied == 0 || _cursor >= head)
            {
                return total;
            }
        }
    }

    /// <summary>Drops the consumer's state, its dead letters and its cursor, in one transaction.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        await AcquireOrThrowAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ResetLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ResetLockedAsync(CancellationToken cancellationToken)
    {
        await _store.WriteAsync(async (connection, transaction) =>
        {
            await ResetWithinAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
        ResetCommitted();
    }

    /// <summary>
    /// Stops this runner between batches and takes its lease: until the handle is disposed no batch is read
    /// or committed, so work in another transaction cannot interleave with one (a privacy erasure blanks log
    /// entries a batch might already have read). Throws when another live process holds the lease.
    /// </summary>
    public async Task<IAsyncDisposable> PauseAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await AcquireOrThrowAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _gate.Release();
            throw;
        }
        return new Pause(_gate);
    }

    /// <summary>While paused, inside the caller's transaction: drops the consumer's state and dead letters and moves its cursor to 0.</summary>
    public async Task ResetWithinAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        foreach (var sql in _consumer.ResetStatements)
        {
            await Db.ExecuteAsync(connection, transaction, sql, cancellationToken).ConfigureAwait(false);
        }
        await Db.ExecuteAsync(connection, transaction, "DELETE FROM consumer_dead_letters WHERE consumer = @name", cancellationToken, ("@name", Name)).ConfigureAwait(false);
        await _lease.AdvanceAsync(connection, transaction, 0, allowBackwards: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>After the transaction that ran <see cref="ResetWithinAsync"/> committed: forget the caches; the runner re-applies the log from the start.</summary>
    public void ResetCommitted()
    {
        _consumer.Invalidate();
        _cursor = 0;
    }

    private sealed class Pause(SemaphoreSlim gate) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Lets go of the lease (after a replay or a retry run from the command line).</summary>
    public Task ReleaseAsync(CancellationToken cancellationToken) => _lease.ReleaseAsync(cancellationToken);

    private async Task AcquireOrThrowAsync(CancellationToken cancellationToken)
    {
        if (!await _lease.EnsureAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"consumer '{Name}' is being run by {_lease.Holder ?? "another process"}; stop that process first");
        }
    }

    /// <summary>Reads and applies one batch; returns how many entries it covered (0 when caught up).</summary>
    private async Task<int> StepAsync(int batchSize, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await StepLockedAsync(batchSize, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<int> StepLockedAsync(int batchSize, CancellationToken cancellationToken)
    {
        if (_cursor < 0)
        {
            _cursor = await _lease.ReadCursorAsync(cancellationToken).ConfigureAwait(false);
        }
        var entries = await _log.ReadAsync(_cursor, batchSize, cancellationToken).ConfigureAwait(false);
        if (entries.Count == 0)
        {
            await _lease.RenewIfDueAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        var started = Stopwatch.GetTimestamp();
        await ApplyAsync(entries, cancellationToken).ConfigureAwait(false);
        ProcessingMetrics.Batch(Name, entries.Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
        _rate.Add(Second, entries.Count);
        return entries.Count;
    }

    /// <summary>Applies entries; on repeated failure splits them, and dead-letters an entry that fails alone.</summary>
    /// <remarks>A whole batch and a single entry get every attempt; the halves of a split get one each.</remarks>
    private async Task ApplyAsync(IReadOnlyList<PassportEntry> entries, CancellationToken cancellationToken, bool whole = true)
    {
        Exception? last = null;
        var attempts = whole || entries.Count == 1 ? _options.MaxAttempts : 1;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            try
            {
                await CommitAsync(entries, deadLetter: null, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or LeaseLostException))
            {
                last = ex;
                _consumer.Invalidate();
                if (attempt < attempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50 << Math.Min(attempt, 5)), _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        if (entries.Count == 1)
        {
            // Poison: record it with the error and move the cursor past it, in one transaction. If even that
            // fails (the store is down), the exception escapes and the loop retries from the same cursor.
            LogDeadLettered(_logger, last, Name, entries[0].Position, entries[0].Record.EventType);
            await CommitAsync([], (entries[0], last!, attempts), cancellationToken).ConfigureAwait(false);
            ProcessingMetrics.DeadLettered(Name);
            return;
        }
        LogSplitting(_logger, Name, entries.Count, entries[0].Position, last!.Message);
        var half = entries.Count / 2;
        await ApplyAsync(Slice(entries, 0, half), cancellationToken, whole: false).ConfigureAwait(false);
        await ApplyAsync(Slice(entries, half, entries.Count - half), cancellationToken, whole: false).ConfigureAwait(false);
    }

    private async Task CommitAsync(IReadOnlyList<PassportEntry> entries, (PassportEntry Entry, Exception Error, int Attempts)? deadLetter, CancellationToken cancellationToken)
    {
        ConsumerBatch? batch = null;
        if (entries.Count > 0)
        {
            await using var reader = await _store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
            batch = await _consumer.PrepareAsync(entries, reader, cancellationToken).ConfigureAwait(false);
        }
        var newCursor = deadLetter is { } d ? d.Entry.Position : entries[^1].Position;
        await _store.WriteAsync(async (connection, transaction) =>
        {
            long bytes = 0;
            if (batch is not null)
            {
                bytes = await batch.WriteAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            }
            if (deadLetter is { } dead)
            {
                await DeadLetters.AddAsync(connection, transaction, Name, dead.Entry, dead.Error, dead.Attempts, _time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
            }
            await _lease.AdvanceAsync(connection, transaction, newCursor, allowBackwards: false, cancellationToken).ConfigureAwait(false);
            return bytes + 64;
        }, cancellationToken).ConfigureAwait(false);
        _cursor = newCursor;
        batch?.Committed();
        Advanced?.Invoke(Name, newCursor);
    }

    /// <summary>
    /// Re-applies this consumer's open dead letters in log order (once their cause is fixed). Each one
    /// that now applies is marked resolved in the same transaction; one that fails again keeps its row
    /// with the new error. Returns (resolved, still failing).
    /// </summary>
    public async Task<(int Resolved, int Failed)> RetryDeadLettersAsync(CancellationToken cancellationToken)
    {
        await AcquireOrThrowAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RetryLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(int Resolved, int Failed)> RetryLockedAsync(CancellationToken cancellationToken)
    {
        var resolved = 0;
        var failed = 0;
        foreach (var position in await DeadLetters.OpenPositionsAsync(_store, Name, cancellationToken).ConfigureAwait(false))
        {
            var found = await _log.ReadAsync(position - 1, 1, cancellationToken).ConfigureAwait(false);
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (found.Count == 0 || found[0].Position != position)
            {
                await _store.WriteAsync(async (c, t) => await DeadLetters.FailedAgainAsync(c, t, Name, position, "the entry is no longer in the log", now, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                failed++;
                continue;
            }
            try
            {
                await using var reader = await _store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
                var batch = await _consumer.PrepareAsync(found, reader, cancellationToken).ConfigureAwait(false);
                await _store.WriteAsync(async (connection, transaction) =>
                {
                    var bytes = await batch.WriteAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                    await DeadLetters.ResolveAsync(connection, transaction, Name, position, now, cancellationToken).ConfigureAwait(false);
                    return bytes;
                }, cancellationToken).ConfigureAwait(false);
                batch.Committed();
                resolved++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _consumer.Invalidate();
                await _store.WriteAsync(async (c, t) => await DeadLetters.FailedAgainAsync(c, t, Name, position, ex.Message, now, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                failed++;
            }
        }
        return (resolved, failed);
    }

    private static PassportEntry[] Slice(IReadOnlyList<PassportEntry> entries, int start, int count)
    {
        var slice = new PassportEntry[count];
        for (var i = 0; i < count; i++)
        {
            slice[i] = entries[start + i];
        }
        return slice;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Consumer {Consumer} failed; retrying from its cursor shortly")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception, string consumer);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Consumer {Consumer}: a batch of {Count} entries from position {Position} keeps failing ({Error}); splitting it to isolate the cause")]
    private static partial void LogSplitting(ILogger logger, string consumer, int count, long position, string error);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Consumer {Consumer}: entry {Position} ({EventType}) dead-lettered; the cursor moves on")]
    private static partial void LogDeadLettered(ILogger logger, Exception? exception, string consumer, long position, string eventType);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Consumer {Consumer} lost its lease ({Reason}); another process runs it now")]
    private static partial void LogLeaseLost(ILogger logger, string consumer, string reason);
}
