using System.Diagnostics;
using System.Threading.Channels;
using Coliseum.Diagnostics;
using Coliseum.Storage;
using Microsoft.Extensions.Logging;

namespace Coliseum.Capture;

/// <summary>
/// Group commit. Requests hand their validated records to one writer, which gathers everything waiting
/// (up to <see cref="CaptureOptions.MaxCommitEvents"/>) into a single durable transaction and then
/// completes every request in it. A request is answered only after the commit that holds its records.
/// The queue is bounded in events: when full, <see cref="TryAppendAsync"/> refuses at once.
/// </summary>
public sealed partial class PassportAppender : IAsyncDisposable
{
    private readonly IPassportStore _store;
    private readonly CaptureOptions _options;
    private readonly ILogger<PassportAppender> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly Dictionary<(string Type, bool New), int> _typeCounts = [];
    private long _pendingEvents;

    private readonly Processing.LogSignal? _signal;

    public PassportAppender(IPassportStore store, CaptureOptions options, ILogger<PassportAppender> logger, Processing.LogSignal? signal = null)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _signal = signal;
        ColiseumMetrics.ObserveQueueDepth(() => Interlocked.Read(ref _pendingEvents));
        _writer = Task.Run(WriteLoopAsync);
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
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Add(ref _pendingEvents, -records.Count);
            throw new ObjectDisposedException(nameof(PassportAppender), "Coliseum is shutting down");
        }
        return pending.Completion.Task;
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<Pending>();
        var records = new List<PassportRecord>(_options.MaxCommitEvents);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            records.Clear();
            // Always take at least one request whole, then add more while they fit.
            while (reader.TryPeek(out var next) && (records.Count == 0 || records.Count + next.Records.Count <= _options.MaxCommitEvents))
            {
                reader.TryRead(out _);
                group.Add(next);
                records.AddRange(next.Records);
            }
            await CommitAsync(group, records).ConfigureAwait(false);
        }
    }

    private async Task CommitAsync(List<Pending> group, List<PassportRecord> records)
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
        CountByType(records, inserted);
    }

    /// <summary>One counter update per type and outcome per commit, not one per event: the exporter's cost is per call.</summary>
    private void CountByType(List<PassportRecord> records, bool[] inserted)
    {
        _typeCounts.Clear();
        for (var i = 0; i < records.Count; i++)
        {
            var key = (records[i].EventType, inserted[i]);
            _typeCounts[key] = _typeCounts.GetValueOrDefault(key) + 1;
        }
        foreach (var ((type, isNew), count) in _typeCounts)
        {
            if (isNew)
            {
                ColiseumMetrics.EventsAccepted(type, count);
            }
            else
            {
                ColiseumMetrics.EventsDuplicate(type, count);
            }
        }
    }

    /// <summary>Stops taking work, writes everything already queued, then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private sealed class Pending(IReadOnlyList<PassportRecord> records)
    {
        public IReadOnlyList<PassportRecord> Records { get; } = records;
        public TaskCompletionSource<AppendOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Group commit of {Count} events failed; the requests in it were answered 503")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, int count);
}
