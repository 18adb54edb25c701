using System.Data.Common;

namespace Coliseum.Processing;

/// <summary>
/// What the consumers need from a storage backend beyond the log itself. Everything else (cursors,
/// leases, dead letters, each consumer's tables) is written in SQL that SQLite and PostgreSQL both
/// accept: <c>@name</c> parameters, <c>INSERT … ON CONFLICT … DO UPDATE</c>, <c>RETURNING</c>.
/// </summary>
public interface IProcessorStore
{
    /// <summary>The SQL forms that differ between backends (lists of values, JSON fields).</summary>
    SqlDialect Dialect { get; }

    /// <summary>A connection for reads outside any write transaction; the caller disposes it.</summary>
    Task<DbConnection> OpenReaderAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> inside one write transaction and commits it; rolls back when it
    /// throws. Writers are serialised with capture's group commit, so a consumer never busy-waits.
    /// <paramref name="work"/> returns roughly how many bytes it wrote (for WAL pacing).
    /// </summary>
    Task WriteAsync(Func<DbConnection, DbTransaction, Task<long>> work, CancellationToken cancellationToken);
}
