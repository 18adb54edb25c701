using System.Data.Common;
using System.Diagnostics;
using Coliseum.Capture;
using Coliseum.Processing;
using Coliseum.Storage;

namespace Coliseum.Bench;

/// <summary>Where a consumer's time went, in seconds (one consumer runs at a time, so the counters are per consumer).</summary>
internal sealed class PhaseTimes
{
    public double ReadLog;
    public double Prepare;
    public double Write;
    public double Transaction;
    public int Batches;

    public void Reset() => (ReadLog, Prepare, Write, Transaction, Batches) = (0, 0, 0, 0, 0);
}

/// <summary>
/// The store as the runners see it, with the log reads and write transactions timed. Everything is
/// passed through unchanged; the timing costs two clock reads per call.
/// </summary>
internal sealed class TimedStore(IPassportStore log, IProcessorStore store, PhaseTimes times) : IPassportStore, IProcessorStore
{
    public string Provider => log.Provider;

    public SqlDialect Dialect => store.Dialect;

    public Task InitializeAsync(CancellationToken cancellationToken) => log.InitializeAsync(cancellationToken);

    public ValueTask AppendAsync(IReadOnlyList<PassportRecord> records, bool[] inserted, CancellationToken cancellationToken) => log.AppendAsync(records, inserted, cancellationToken);

    public async Task<IReadOnlyList<PassportEntry>> ReadAsync(long afterPosition, int limit, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var entries = await log.ReadAsync(afterPosition, limit, cancellationToken).ConfigureAwait(false);
        times.ReadLog += Stopwatch.GetElapsedTime(started).TotalSeconds;
        return entries;
    }

    public Task<long> GetHeadAsync(CancellationToken cancellationToken) => log.GetHeadAsync(cancellationToken);

    public Task<PassportEntry?> FindAsync(string messageId, CancellationToken cancellationToken) => log.FindAsync(messageId, cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) => log.PingAsync(cancellationToken);

    public Task<DbConnection> OpenReaderAsync(CancellationToken cancellationToken) => store.OpenReaderAsync(cancellationToken);

    /// <summary>The whole write transaction: waiting for the writer, the consumer's statements, the cursor, the commit.</summary>
    public async Task WriteAsync(Func<DbConnection, DbTransaction, Task<long>> work, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await store.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        times.Transaction += Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A consumer with its <see cref="Consumer.PrepareAsync"/> (in memory, plus state it loads) and its batch's writes timed.</summary>
internal sealed class TimedConsumer(Consumer inner, PhaseTimes times) : Consumer
{
    public override string Name => inner.Name;

    public override IReadOnlyList<string> ResetStatements => inner.ResetStatements;

    public override async Task<ConsumerBatch> PrepareAsync(IReadOnlyList<PassportEntry> entries, DbConnection reader, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var batch = await inner.PrepareAsync(entries, reader, cancellationToken).ConfigureAwait(false);
        times.Prepare += Stopwatch.GetElapsedTime(started).TotalSeconds;
        times.Batches++;
        return new TimedBatch(batch, times);
    }

    public override void Invalidate() => inner.Invalidate();

    private sealed class TimedBatch(ConsumerBatch inner, PhaseTimes times) : ConsumerBatch
    {
        public override async Task<long> WriteAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            var bytes = await inner.WriteAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            times.Write += Stopwatch.GetElapsedTime(started).TotalSeconds;
            return bytes;
        }

        public override void Committed() => inner.Committed();
    }
}
