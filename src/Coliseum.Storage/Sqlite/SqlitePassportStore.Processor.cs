using System.Data.Common;
using Coliseum.Processing;
using SQLitePCL;

namespace Coliseum.Storage.Sqlite;

public sealed partial class SqlitePassportStore : IProcessorStore
{
    public SqlDialect Dialect => SqlDialect.Sqlite;

    public Task<DbConnection> OpenReaderAsync(CancellationToken cancellationToken) => Task.FromResult<DbConnection>(OpenReader());

    /// <summary>
    /// Runs on the writer connection under the same lock as capture's group commit: one SQLite file has
    /// one writer at a time anyway, and a lock queue is fairer than SQLite's busy-wait. Consumer commits
    /// use <c>synchronous=NORMAL</c>: results and cursor still commit atomically, and the next capture
    /// commit (FULL) makes them durable; after a power cut the consumer at worst redoes its last batches.
    /// </summary>
    public async Task WriteAsync(Func<DbConnection, DbTransaction, Task<long>> work, CancellationToken cancellationToken)
    {
        var writer = _writer ?? throw new InvalidOperationException("the store is not initialised");
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            BeforeWriteLocked(writer.Handle!);
            raw.sqlite3_exec(writer.Handle, "PRAGMA synchronous = NORMAL");
            try
            {
                using var transaction = writer.BeginTransaction(deferred: false);
                var bytes = await work(writer, transaction).ConfigureAwait(false);
                transaction.Commit();
                _checkpointer!.AfterCommit(bytes);
            }
            finally
            {
                raw.sqlite3_exec(writer.Handle, "PRAGMA synchronous = FULL");
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
