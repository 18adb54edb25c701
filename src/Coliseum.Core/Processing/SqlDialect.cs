namespace Coliseum.Processing;

/// <summary>
/// The few SQL forms that differ between SQLite and PostgreSQL; everything else the consumers and queries
/// write is shared. A list of values travels as one JSON-array parameter, so one statement serves any length.
/// </summary>
public abstract class SqlDialect
{
    public static readonly SqlDialect Sqlite = new SqliteDialect();
    public static readonly SqlDialect Postgres = new PostgresDialect();

    /// <summary><c>IN (…)</c> over the strings of the JSON array in <paramref name="parameter"/>.</summary>
    public abstract string InTexts(string parameter);

    /// <summary><c>IN (…)</c> over the integers of the JSON array in <paramref name="parameter"/>.</summary>
    public abstract string InIntegers(string parameter);

    /// <summary>
    /// A statement that makes appends wait until the current write transaction ends, or null when every write
    /// transaction already excludes them (SQLite: one writer).
    /// </summary>
    public abstract string? LockLog { get; }

    /// <summary>
    /// PostgreSQL's advisory lock key (two ints: the schema, then the log) that large appends hold shared for their
    /// whole transaction and <see cref="LockLog"/> takes exclusively.
    /// </summary>
    public const string AppendLockKey = "hashtext(current_schema()), hashtext('append:passport_log')";

    /// <summary>The text value of a top-level key of a JSON object held in a text or jsonb column.</summary>
    public abstract string JsonText(string column, string key);

    /// <summary>
    /// "Now" in Unix ms by the database server's clock, for lease times that several machines compare; null
    /// where the database is this process's own file (SQLite), so the lease uses the process's TimeProvider.
    /// </summary>
    public abstract string? NowMilliseconds { get; }

    /// <summary>
    /// A query (one boolean) that takes, without waiting, a lock on consumer <c>@name</c> held by the session
    /// until it ends or is released, so a holder that dies lets go of it at once; null where there is none.
    /// </summary>
    public abstract string? TryLockConsumer { get; }

    /// <summary>Releases what <see cref="TryLockConsumer"/> took on the same session.</summary>
    public abstract string? UnlockConsumer { get; }

    /// <summary>
    /// A statement run in the transaction that moves consumer <c>@name</c>'s cursor to <c>@position</c>: tells
    /// every process on the database at commit (see <see cref="Notifications"/>); null where nothing listens.
    /// </summary>
    public abstract string? NotifyCursor { get; }

    private sealed class SqliteDialect : SqlDialect
    {
        public override string InTexts(string parameter) => $"IN (SELECT value FROM json_each({parameter}))";
        public override string InIntegers(string parameter) => $"IN (SELECT value FROM json_each({parameter}))";
        public override string JsonText(string column, string key) => $"json_extract({column}, '$.{key}')";
        public override string? LockLog => null;
        public override string? NowMilliseconds => null;
        public override string? TryLockConsumer => null;
        public override string? UnlockConsumer => null;
        public override string? NotifyCursor => null;
    }

    private sealed class PostgresDialect : SqlDialect
    {
        public override string InTexts(string parameter) => $"IN (SELECT value FROM jsonb_array_elements_text(CAST({parameter} AS jsonb)))";
        public override string InIntegers(string parameter) => $"IN (SELECT CAST(value AS bigint) FROM jsonb_array_elements_text(CAST({parameter} AS jsonb)))";
        public override string JsonText(string column, string key) => $"(CAST({column} AS jsonb) ->> '{key}')";
        // Large appends hold the append lock shared from their start to their commit and take positions without the head
        // lock; small ones hold the head lock from taking positions to commit. Exclusive first, then the head: waiting
        // for the head while holding the exclusive lock is safe, as no large append holds it shared by then.
        public override string? LockLog => $"SELECT pg_advisory_xact_lock({AppendLockKey}); SELECT position FROM passport_log_head WHERE id = 1 FOR UPDATE";
        public override string? NowMilliseconds => "CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS bigint)";

        // Two int keys (a separate key space from the migrations' single bigint): the schema, then the consumer.
        public override string? TryLockConsumer => "SELECT pg_try_advisory_lock(hashtext(current_schema()), hashtext('consumer:' || @name))";
        public override string? UnlockConsumer => "SELECT pg_advisory_unlock(hashtext(current_schema()), hashtext('consumer:' || @name))";
        public override string? NotifyCursor => $"SELECT pg_notify('{Notifications.Channel}', current_schema() || ' cursor ' || @name || ' ' || CAST(@position AS text))";
    }
}
