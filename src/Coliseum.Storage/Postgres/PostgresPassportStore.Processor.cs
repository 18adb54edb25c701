using System.Data.Common;
using Coliseum.Processing;

namespace Coliseum.Storage.Postgres;

public sealed partial class PostgresPassportStore : IProcessorStore
{
    public SqlDialect Dialect => SqlDialect.Postgres;

    public async Task<DbConnection> OpenReaderAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// One transaction on a pooled connection. Unlike SQLite, PostgreSQL lets writers run side by side, so
    /// nothing here serialises them: each consumer runs in one process at a time (its lease), and the
    /// consumers write disjoint tables. Consumer commits use <c>synchronous_commit = off</c> (as SQLite's use
    /// <c>synchronous=NORMAL</c>): results and cursor commit atomically, and after a crash of the database
    /// server the consumer at worst redoes its last batches; captured events always commit synchronously.
    /// </summary>
    public async Task WriteAsync(Func<DbConnection, DbTransaction, Task<long>> work, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var relax = new Npgsql.NpgsqlCommand("SET LOCAL synchronous_commit TO off", connection, transaction))
        {
            await relax.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await work(connection, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
