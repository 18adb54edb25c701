using System.Data.Common;
using System.Text;
using Coliseum.Processing;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Coliseum.Storage.Sqlite;

/// <summary>
/// Runs the consumers' bulk statements on SQLite as one single-row statement, prepared once per flush
/// and bound by index. Multi-row VALUES through ADO.NET binds every parameter by name, which SQLite
/// looks up linearly: quadratic in the statement's size, and several times slower per row.
/// </summary>
internal sealed class SqliteBulkBackend : IBulkBackend
{
    public static readonly SqliteBulkBackend Instance = new();

    public bool Handles(DbConnection connection) => connection is SqliteConnection;

    public Task<long> ExecuteAsync(DbConnection connection, string table, string[] columns, string suffix, IReadOnlyList<object?> values, Action<IRowValues>? onReturned, CancellationToken cancellationToken)
    {
        if (values.Count == 0)
        {
            return Task.FromResult(0L);
        }
        var db = ((SqliteConnection)connection).Handle ?? throw new InvalidOperationException("the connection is not open");
        var sql = new StringBuilder("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", columns).Append(") VALUES (");
        for (var c = 1; c <= columns.Length; c++)
        {
            sql.Append(c == 1 ? "?" : ", ?").Append(c);
        }
        sql.Append(") ").Append(suffix);
        Check(db, raw.sqlite3_prepare_v2(db, sql.ToString(), out var stmt));
        long written = 0;
        try
        {
            var row = new StatementRow(stmt);
            for (var offset = 0; offset < values.Count; offset += columns.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                for (var c = 0; c < columns.Length; c++)
                {
                    Bind(stmt, c + 1, values[offset + c]);
                }
                int rc;
                while ((rc = raw.sqlite3_step(stmt)) == raw.SQLITE_ROW)
                {
                    onReturned?.Invoke(row);
                    written++;
                }
                if (rc != raw.SQLITE_DONE)
                {
                    Check(db, rc);
                }
                if (onReturned is null)
                {
                    written += raw.sqlite3_changes(db);
                }
                raw.sqlite3_reset(stmt);
            }
        }
        finally
        {
            stmt.Dispose();
        }
        return Task.FromResult(written);
    }

    private static void Bind(sqlite3_stmt stmt, int index, object? value)
    {
        var rc = value switch
        {
            null or DBNull => raw.sqlite3_bind_null(stmt, index),
            string s => raw.sqlite3_bind_text(stmt, index, s),
            long l => raw.sqlite3_bind_int64(stmt, index, l),
            int i => raw.sqlite3_bind_int64(stmt, index, i),
            bool b => raw.sqlite3_bind_int64(stmt, index, b ? 1 : 0),
            double d => raw.sqlite3_bind_double(stmt, index, d),
            _ => throw new ArgumentException($"cannot bind a {value.GetType().Name} in a bulk statement"),
        };
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException($"SQLite Error {rc} binding parameter {index}", rc);
        }
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(db).utf8_to_string()}'.", rc);
        }
    }

    private sealed class StatementRow(sqlite3_stmt stmt) : IRowValues
    {
        public string GetString(int ordinal) => raw.sqlite3_column_text(stmt, ordinal).utf8_to_string();
        public long GetInt64(int ordinal) => raw.sqlite3_column_int64(stmt, ordinal);
    }
}
