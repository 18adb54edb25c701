using Coliseum.Processing;
using Coliseum.Processing.Coliseum;
using Coliseum.Storage;

namespace Coliseum.Query;

/// <summary>
/// Learns when what readers see has changed: the coliseum consumer's cursor (every aggregate the query
/// API serves moves with it) and the head of the log. This process's own commits are seen at once; a
/// poll of <c>consumer_cursors</c> and the log head also sees commits made by other processes on the
/// same database. Readers take <see cref="Next"/> before they read, then wait on it: no change is missed.
/// </summary>
public sealed partial class ChangeFeed : BackgroundService
{
    private const int RateSamples = 64;

    private readonly IPassportStore _log;
    private readonly IProcessorStore _store;
    private readonly QueryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ChangeFeed> _logger;
    private readonly (long At, long Head)[] _samples = new (long, long)[RateSamples];
    private readonly Lock _sampleLock = new();
    private int _sampleCount;
    private int _sampleNext;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _cursor = -1;
    private long _head = -1;
    private long _epoch;

    public ChangeFeed(IPassportStore log, IProcessorStore store, Processor processor, QueryOptions options, TimeProvider time, ILogger<ChangeFeed> logger)
    {
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
    /// climbs back to values it had before, so a cache must match this as well as the cursor.
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

    public void ObserveCursor(long cursor)
    {
        if (Interlocked.Exchange(ref _cursor, cursor) != cursor)
        {
            Notify();
        }
    }

    private void ObserveHead(long head)
    {
        lock (_sampleLock)
        {
            _samples[_sampleNext] = (_time.GetUtcNow().ToUnixTimeMilliseconds(), head);
            _sampleNext = (_sampleNext + 1) % RateSamples;
            _sampleCount = Math.Min(_sampleCount + 1, RateSamples);
        }
        if (Interlocked.Exchange(ref _head, head) != head)
        {
            Notify();
        }
    }

    private void Notify() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Reads the cursor and head now (also what the background poll does).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        var cursor = await Db.ScalarAsync(connection, null, "SELECT position FROM consumer_cursors WHERE name = @name", cancellationToken, ("@name", ColiseumConsumer.ConsumerName)).ConfigureAwait(false);
        ObserveCursor(cursor);
        ObserveHead(await _log.GetHeadAsync(cancellationToken).ConfigureAwait(false));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.PollMilliseconds), _time);
        var failing = false;
        do
        {
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
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Could not read the consumer cursor and log head for the live streams: {Error}")]
    private static partial void LogPollFailed(ILogger logger, string error);
}
