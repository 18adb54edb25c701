using Coliseum.Processing;
using Coliseum.Processing.Coliseum;
using Coliseum.Storage;

namespace Coliseum.Query;

/// <summary>
/// Learns when what readers see has changed: the coliseum consumer's cursor (every aggregate the query
/// API serves moves with it) and the head of the log. This process's own commits are seen at once; a
/// poll of <c>consumer_cursors</c> and the log head also sees commits made by other processes on the
/// same database. Readers take <see cref="Next"/> before they read, then wait on it: no change is missed.
/// On PostgreSQL, other processes' commits arrive as notifications (<see cref="Hosting.PostgresWakeups"/>
/// calls <see cref="Wake"/> and <see cref="ObserveHead"/>), and the poll, then only a fallback, slows down.
/// </summary>
public sealed partial class ChangeFeed : BackgroundService
{
    private const int RateSamples = 64;

    /// <summary>The fallback poll while notifications arrive (they carry every change; the poll covers a lost one).</summary>
    private const int PushedPollMilliseconds = 5_000;

    private readonly IPassportStore _log;
    private readonly IProcessorStore _store;
    private readonly QueryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ChangeFeed> _logger;
    private readonly LogSignal _signal;
    private readonly (long At, long Head)[] _samples = new (long, long)[RateSamples];
    private readonly Lock _sampleLock = new();
    private int _sampleCount;
    private int _sampleNext;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _cursor = -1;
    private long _head = -1;
    private long _epoch;

    public ChangeFeed(IPassportStore log, IProcessorStore store, Processor processor, QueryOptions options, TimeProvider time, ILogger<ChangeFeed> logger, LogSignal signal)
    {
        _signal = signal;
        _log = log;
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
        if (processor.Runner(ColiseumConsumer.ConsumerName) is { } runner)
        {
            runner.Advanced += (_, cursor) => ObserveCursor(cursor);
        }
    }

    /// <summary>The coliseum consumer's cursor as last seen (-1 before the first look).</summary>
    public long Cursor => Volatile.Read(ref _cursor);

    /// <summary>
    /// Changes whenever the consumers' state was dropped to be rebuilt (a privacy erasure): the cursor then
    /// climbs back to values it had before, so a cache must match this as well as the cursor. It is the number
    /// of erasures that reset a consumer (<c>privacy_requests</c>), so every process on one database learns it
    /// with the cursor, and it only grows.
    /// </summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    /// <summary>Tells readers the aggregates were dropped and are being rebuilt from the start of the log.</summary>
    public void Rebuilding()
    {
        Interlocked.Increment(ref _epoch);
        ObserveCursor(0);
        Notify();
    }

    /// <summary>The newest log position as last seen (-1 before the first look).</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>Completes at the next change of the cursor or the head after the moment this is read.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>New log entries per second over the last few seconds, from the head's movement.</summary>
    public double EventsPerSecond
    {
        get
        {
            lock (_sampleLock)
            {
                if (_sampleCount < 2)
                {
                    return 0;
                }
                var newest = _samples[(_sampleNext - 1 + RateSamples) % RateSamples];
                var windowStart = newest.At - 5_000;
                var oldest = newest;
                for (var i = 2; i <= _sampleCount; i++)
                {
                    var sample = _samples[(_sampleNext - i + RateSamples) % RateSamples];
                    if (sample.At < windowStart)
                    {
                        break;
                    }
                    oldest = sample;
                }
                var seconds = (newest.At - oldest.At) / 1000.0;
                return seconds <= 0 ? 0 : Math.Round((newest.Head - oldest.Head) / seconds, 1);
            }
        }
    }

    /// <summary>Asks for a refresh from the database now (another process committed; coalesced while one runs).</summary>
    public void Wake() => Volatile.Read(ref _wake).TrySetResult();

    public void ObserveCursor(long cursor)
    {
        if (Interlocked.Exchange(ref _cursor, cursor) != cursor)
        {
            Notify();
        }
    }

    /// <summary>A head seen in a notification: the log only grows, so an older one arriving late changes nothing.</summary>
    public void ObserveHead(long head) => RaiseTo(ref _head, head);

    /// <summary>A polled head, also a sample for <see cref="EventsPerSecond"/> (notifications come too often to be samples).</summary>
    private void SampleHead(long head)
    {
        lock (_sampleLock)
        {
            _samples[_sampleNext] = (_time.GetUtcNow().ToUnixTimeMilliseconds(), head);
            _sampleNext = (_sampleNext + 1) % RateSamples;
            _sampleCount = Math.Min(_sampleCount + 1, RateSamples);
        }
        ObserveHead(head);
    }

    private void ObserveEpoch(long epoch) => RaiseTo(ref _epoch, epoch);

    /// <summary>Moves <paramref name="field"/> up to <paramref name="value"/> (never down) and wakes the waiters when it moved.</summary>
    private void RaiseTo(ref long field, long value)
    {
        var seen = Interlocked.Read(ref field);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref field, value, seen);
            if (was == seen)
            {
                Notify();
                return;
            }
            seen = was;
        }
    }

    private void Notify() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Reads the cursor and head now (also what the background poll does).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        long cursor;
        long epoch;
        await using (var connection = await _store.OpenReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            // One statement, one snapshot: an erasure moves the cursor back and adds its request in one commit,
            // and the epoch must change no later than the cursor does (else a reader could match an old cache).
            await using var command = Db.Command(connection, null, """
                SELECT (SELECT position FROM consumer_cursors WHERE name = @name),
                       (SELECT COUNT(*) FROM privacy_requests WHERE consumers_reset <> '')
                """, ("@name", ColiseumConsumer.ConsumerName));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            cursor = Db.Int64(reader, 0) ?? 0;
            epoch = Db.Int64(reader, 1) ?? 0;
        }
        ObserveEpoch(epoch);
        ObserveCursor(cursor);
        SampleHead(await _log.GetHeadAsync(cancellationToken).ConfigureAwait(false));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before the read, so a notification that arrives during it asks for one more.
            var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _wake, wake);
            try
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
                failing = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (!failing)
                {
                    LogPollFailed(_logger, ex.Message);
                }
                failing = true;
            }
            var poll = _signal.Pushed ? Math.Max(_options.PollMilliseconds, PushedPollMilliseconds) : _options.PollMilliseconds;
            await Task.WhenAny(wake.Task, Task.Delay(TimeSpan.FromMilliseconds(poll), _time, stoppingToken)).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Could not read the consumer cursor and log head for the live streams: {Error}")]
    private static partial void LogPollFailed(ILogger logger, string error);
}
