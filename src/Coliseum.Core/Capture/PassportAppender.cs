using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Coliseum.Diagnostics;
using Coliseum.Storage;
using Microsoft.Extensions.Logging;

namespace Coliseum.Capture;

/// <summary>
/// Group commit. Requests hand their validated records to a writer, which gathers everything waiting
/// (up to <see cref="CaptureOptions.MaxCommitEvents"/>) into a single durable transaction and then
/// completes every request in it. A request is answered only after the commit that holds its records.
/// There is one writer, or as many as the store's <see cref="IPassportStore.ConcurrentAppends"/>: each takes
/// whole requests from the one queue, so a request's records always share a transaction and keep their order. A
/// second writer starts a commit beside the first only when enough waits (<see cref="ConcurrentCommitMinEvents"/>).
/// The queue is bounded in events: when full, <see cref="TryAppendAsync"/> refuses at once.
/// </summary>
public sealed partial class PassportAppender : IAsyncDisposable
{
    private readonly IPassportStore _store;
    private readonly CaptureOptions _options;
    private readonly ILogger<PassportAppender> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly Lock _gather = new();
    private readonly Task[] _writers;
    private long _queuedEvents;
    private int _committing;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// While one writer commits, another starts a commit of its own only once this many events wait. Fewer are left
    /// to grow into the next commit: small commits' round trips and WAL flushes queue on the database's log lock
    /// (PostgreSQL's head lock, which appends of up to 256 events hold until they commit), so splitting a few dozen
    /// single events over two writers halves the commits without making them any faster.
    /// </summary>
    internal const int ConcurrentCommitMinEvents = 1024;
    private long _pendingEvents;

    private readonly Processing.LogSignal? _signal;

    public PassportAppender(IPassportStore store, CaptureOptions options, ILogger<PassportAppender> logger, Processing.LogSignal? signal = null)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _signal = signal;
        ColiseumMetrics.ObserveQueueDepth(() => Interlocked.Read(ref _pendingEvents));
        _writers = new Task[Math.Clamp(store.ConcurrentAppends, 1, 4)];
        for (var w = 0; w < _writers.Length; w++)
        {
            _writers[w] = Task.Run(WriteLoopAsync);
        }
    }

    public long PendingEvents => Interlocked.Read(ref _pendingEvents);

    /// <summary>
    /// Appends the records durably. Returns null without queuing anything when the queue is full
    /// (the caller answers 503 with Retry-After).
    /// </summary>
    public Task<AppendOutcome>? TryAppendAsync(IReadOnlyList<PassportRecord> records)
    {
        if (records.Count == 0)
        {
            return Task.FromResult(new AppendOutcome([]));
        }
        if (Interlocked.Add(ref _pendingEvents, records.Count) > _options.MaxPendingEvents)
        {
            Interlocked.Add(ref _pendingEvents, -records.Count);
            ColiseumMetrics.CaptureOverloaded();
            return null;
        }
        var pending = new Pending(records);
        var queued = Interlocked.Add(ref _queuedEvents, records.Count);
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Add(ref _queuedEvents, -records.Count);
            Interlocked.Add(ref _pendingEvents, -records.Count);
            throw new ObjectDisposedException(nameof(PassportAppender), "Coliseum is shutting down");
        }
        if (_writers.Length > 1 && queued >= ConcurrentCommitMinEvents && queued - records.Count < ConcurrentCommitMinEvents)
        {
            Wake();
        }
        return pending.Completion.Task;
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<Pending>();
        var records = new List<PassportRecord>(_options.MaxCommitEvents);
        var typeCounts = new Dictionary<string, (int New, int Duplicate)>(StringComparer.Ordinal);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Read before the test, so that a commit ending or a queue filling after it still wakes this writer.
            var wake = Volatile.Read(ref _wake).Task;
            if (Volatile.Read(ref _committing) > 0 && Interlocked.Read(ref _queuedEvents) < ConcurrentCommitMinEvents)
            {
                await wake.ConfigureAwait(false);
                continue;
            }
            group.Clear();
            records.Clear();
            lock (_gather)
            {
                // Always take at least one request whole, then add more while they fit. Under the lock, so that
                // what was peeked is what is read when several writers share the queue.
                while (reader.TryPeek(out var next) && (records.Count == 0 || records.Count + next.Records.Count <= _options.MaxCommitEvents))
                {
                    reader.TryRead(out _);
                    Interlocked.Add(ref _queuedEvents, -next.Records.Count);
                    group.Add(next);
                    records.AddRange(next.Records);
                }
            }
            if (group.Count > 0)
            {
                Interlocked.Increment(ref _committing);
                try
                {
                    await CommitAsync(group, records, typeCounts).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _committing);
                    Wake();
                }
            }
        }
    }

    private async Task CommitAsync(List<Pending> group, List<PassportRecord> records, Dictionary<string, (int New, int Duplicate)> typeCounts)
    {
        var inserted = new bool[records.Count];
        var started = Stopwatch.GetTimestamp();
        try
        {
            await _store.AppendAsync(records, inserted, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogCommitFailed(_logger, ex, records.Count);
            foreach (var pending in group)
            {
                pending.Completion.TrySetException(new StorageUnavailableException("the Passport log could not be written", ex));
            }
            Interlocked.Add(ref _pendingEvents, -records.Count);
            return;
        }
        ColiseumMetrics.Commit(records.Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
        Interlocked.Add(ref _pendingEvents, -records.Count);
        if (Array.IndexOf(inserted, true) >= 0)
        {
            _signal?.Notify();
        }

        var offset = 0;
        foreach (var pending in group)
        {
            var flags = inserted.AsSpan(offset, pending.Records.Count).ToArray();
            offset += pending.Records.Count;
            pending.Completion.TrySetResult(new AppendOutcome(flags));
        }
        CountByType(records, inserted, typeCounts);
    }

    /// <summary>
    /// One counter update per type and outcome per commit, not one per event: the exporter's cost is per call. Keyed
    /// by the type alone with the ordinal comparer (a (type, outcome) tuple key hashed each string the slow way: 2.5%
    /// of the server's CPU in batch capture), and a run of one type costs one look-up.
    /// </summary>
    private static void CountByType(List<PassportRecord> records, bool[] inserted, Dictionary<string, (int New, int Duplicate)> typeCounts)
    {
        typeCounts.Clear();
        string? type = null;
        int fresh = 0, duplicate = 0;
        for (var i = 0; i <= records.Count; i++)
        {
            var next = i < records.Count ? records[i].EventType : null;
            if (type is not null && !string.Equals(next, type, StringComparison.Ordinal))
            {
                ref var counts = ref CollectionsMarshal.GetValueRefOrAddDefault(typeCounts, type, out _);
                counts = (counts.New + fresh, counts.Duplicate + duplicate);
                fresh = duplicate = 0;
            }
            if (next is null)
            {
                break;
            }
            type = next;
            if (inserted[i])
            {
                fresh++;
            }
            else
            {
                duplicate++;
            }
        }
        foreach (var (name, counts) in typeCounts)
        {
            if (counts.New > 0)
            {
                ColiseumMetrics.EventsAccepted(name, counts.New);
            }
            if (counts.Duplicate > 0)
            {
                ColiseumMetrics.EventsDuplicate(name, counts.Duplicate);
            }
        }
    }

    private void Wake() =>
        Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Stops taking work, writes everything already queued, then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers).ConfigureAwait(false);
    }

    private sealed class Pending(IReadOnlyList<PassportRecord> records)
    {
        public IReadOnlyList<PassportRecord> Records { get; } = records;
        public TaskCompletionSource<AppendOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Group commit of {Count} events failed; the requests in it were answered 503")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, int count);
}
