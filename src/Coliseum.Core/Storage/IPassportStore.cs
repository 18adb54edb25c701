using Coliseum.Capture;

namespace Coliseum.Storage;

/// <summary>
/// The Passport log: append-only, ordered by a position that only grows. SQLite and PostgreSQL both
/// implement it and both pass the same conformance suite; nothing above this contract knows which one
/// it talks to.
/// </summary>
public interface IPassportStore : IAsyncDisposable
{
    /// <summary>Short name for logs and health output: <c>sqlite</c>, <c>postgres</c>.</summary>
    string Provider { get; }

    /// <summary>Creates or upgrades the schema (numbered migrations, each in one transaction).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Appends the records in one durable transaction: when this returns, the commit is on disk. A
    /// record whose message id is already in the log (from any earlier append, or earlier in this same
    /// list) is not stored again; <paramref name="inserted"/>[i] tells which were new.
    /// </summary>
    ValueTask AppendAsync(IReadOnlyList<PassportRecord> records, bool[] inserted, CancellationToken cancellationToken);

    /// <summary>
    /// How many appends the group commit keeps in flight at once. SQLite has one writer, so one. A store whose
    /// appends may run side by side in the database (PostgreSQL's) may take more: while one writes its rows, the
    /// next claims its ids and writes its own.
    /// </summary>
    int ConcurrentAppends => 1;

    /// <summary>Entries after <paramref name="afterPosition"/> in position order, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<PassportEntry>> ReadAsync(long afterPosition, int limit, CancellationToken cancellationToken);

    /// <summary>The position of the newest entry, or 0 when the log is empty.</summary>
    Task<long> GetHeadAsync(CancellationToken cancellationToken);

    /// <summary>Finds an entry by message id, or null.</summary>
    Task<PassportEntry?> FindAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Throws when the store cannot be reached.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}
