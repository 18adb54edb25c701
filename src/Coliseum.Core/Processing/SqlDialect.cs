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

    /// <summary>The text value of a top-level key of a JSON object held in a text or jsonb column.</summary>
    public abstract string JsonText(string column, string key);

    private sealed class SqliteDialect : SqlDialect
    {
        public override string InTexts(string parameter) => $"IN (SELECT value FROM json_each({parameter}))";
        public override string InIntegers(string parameter) => $"IN (SELECT value FROM json_each({parameter}))";
        public override string JsonText(string column, string key) => $"json_extract({column}, '$.{key}')";
        public override string? LockLog => null;
    }

    private sealed class PostgresDialect : SqlDialect
    {
        public override string InTexts(string parameter) => $"IN (SELECT value FROM jsonb_array_elements_text(CAST({parameter} AS jsonb)))";
        public override string InIntegers(string parameter) => $"IN (SELECT CAST(value AS bigint) FROM jsonb_array_elements_text(CAST({parameter} AS jsonb)))";
        public override string JsonText(string column, string key) => $"(CAST({column} AS jsonb) ->> '{key}')";
        public override string? LockLog => "SELECT position FROM passport_log_head WHERE id = 1 FOR UPDATE";
    }
}
