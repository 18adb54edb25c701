using Coliseum.Diagnostics;
using Coliseum.Processing.Coliseum;
using Coliseum.Storage;
using Microsoft.Extensions.Logging;

namespace Coliseum.Processing;

/// <summary>
/// The three consumers and their runners over one store: what <c>coliseum serve</c> runs in the
/// background, what <c>coliseum replay</c> and <c>coliseum deadletter</c> drive, and what
/// <c>GET /api/coliseum/status</c> reports on.
/// </summary>
public sealed class Processor
{
    private readonly IPassportStore _log;
    private readonly IProcessorStore _store;
    private readonly TimeProvider _time;
    private ProcessorStatus? _lastStatus;

    public Processor(IPassportStore log, IProcessorStore store, ProcessingOptions options, LogSignal signal, ILoggerFactory loggers, TimeProvider time, IReadOnlyList<Consumer>? consumers = null)
    {
        _log = log;
        _store = store;
        _time = time;
        Options = options;
        Coliseum = new ColiseumConsumer(options);
        IReadOnlyList<Consumer> all = consumers ?? [Coliseum, .. DefaultConsumers(options)];
        Runners = all.Select(c => new ConsumerRunner(c, log, store, options, signal, loggers.CreateLogger("Coliseum.Processing." + c.Name), time)).ToArray();
        foreach (var runner in Runners)
        {
            ProcessingMetrics.Observe(runner.Name, () => Gauges(runner.Name));
        }
    }

    public ProcessingOptions Options { get; }

    public ColiseumConsumer Coliseum { get; }

    public IReadOnlyList<ConsumerRunner> Runners { get; }

    public IProcessorStore Store => _store;

    /// <summary>The consumer names, in the order they run.</summary>
    public IEnumerable<string> Names => Runners.Select(r => r.Name);

    public ConsumerRunner? Runner(string name) => Runners.FirstOrDefault(r => r.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<Consumer> DefaultConsumers(ProcessingOptions options) =>
    [
        new Treasury.TreasuryConsumer(options),
        new Mediaid.MediaidConsumer(options),
    ];

    /// <summary>Runs every consumer until <paramref name="stop"/>.</summary>
    public Task RunAsync(CancellationToken stop) => Task.WhenAll(Runners.Select(r => Task.Run(() => r.RunAsync(stop), CancellationToken.None)));

    /// <summary>
    /// The head of the log and, per consumer, its cursor, lag in entries (counted, not subtracted:
    /// positions may have gaps), how long the oldest unapplied entry has waited, the rate in this
    /// process, and open dead letters.
    /// </summary>
    public async Task<ProcessorStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var head = await _log.GetHeadAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var consumers = new List<ConsumerStatus>();
        await using var connection = await _store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        var dead = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = Db.Command(connection, null, "SELECT consumer, COUNT(*) FROM consumer_dead_letters WHERE resolved_at IS NULL GROUP BY consumer"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                dead[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        foreach (var runner in Runners)
        {
            var cursor = await Db.ScalarAsync(connection, null, "SELECT position FROM consumer_cursors WHERE name = @name", cancellationToken, ("@name", runner.Name)).ConfigureAwait(false);
            var lag = await Db.ScalarAsync(connection, null, "SELECT COUNT(*) FROM passport_log WHERE position > @cursor", cancellationToken, ("@cursor", cursor)).ConfigureAwait(false);
            double lagSeconds = 0;
            if (lag > 0)
            {
                var oldest = await Db.ScalarAsync(connection, null, "SELECT received_at FROM passport_log WHERE position > @cursor ORDER BY position LIMIT 1", cancellationToken, ("@cursor", cursor)).ConfigureAwait(false);
                lagSeconds = Math.Max(0, (now - oldest) / 1000.0);
            }
            consumers.Add(new ConsumerStatus(runner.Name, cursor, lag, Math.Round(lagSeconds, 3), Math.Round(runner.EventsPerSecond, 1), dead.GetValueOrDefault(runner.Name)));
        }
        var status = new ProcessorStatus(head, consumers);
        _lastStatus = status;
        return status;
    }

    private (long Lag, long DeadLetters) Gauges(string name)
    {
        var consumer = _lastStatus?.Consumers.FirstOrDefault(c => c.Name == name);
        return consumer is null ? (0, 0) : (consumer.Lag, consumer.DeadLetters);
    }
}

public sealed record ProcessorStatus(long Head, IReadOnlyList<ConsumerStatus> Consumers);

public sealed record ConsumerStatus(string Name, long Cursor, long Lag, double LagSeconds, double EventsPerSecond, long DeadLetters);
