using System.Data.Common;
using System.Text;

namespace Coliseum.Processing;

/// <summary>
/// Buffers rows and writes them with multi-row <c>INSERT … VALUES (…), (…)</c> statements, up to
/// <see cref="RowsPerStatement"/> rows each, reusing one prepared command per statement size. The
/// suffix carries the conflict clause (<c>ON CONFLICT … DO UPDATE</c> / <c>DO NOTHING</c>) and an
/// optional <c>RETURNING</c>; the SQL is the same on SQLite and PostgreSQL. Rows within one flush must
/// not repeat a conflict key (the consumers aggregate each batch first, so they never do).
/// </summary>
public sealed class BulkStatement(string table, string[] columns, string suffix = "")
{
    private static readonly List<IBulkBackend> s_backends = [];
    private readonly List<object?> _values = [];

    /// <summary>Lets a storage backend write these statements its own faster way (SQLite: one prepared statement bound by index).</summary>
    public static void Register(IBulkBackend backend)
    {
        lock (s_backends)
        {
            if (!s_backends.Any(b => b.GetType() == backend.GetType()))
            {
                s_backends.Add(backend);
            }
        }
    }

    private static IBulkBackend? BackendFor(DbConnection connection)
    {
        lock (s_backends)
        {
            return s_backends.FirstOrDefault(b => b.Handles(connection));
        }
    }
    private readonly Dictionary<int, string> _texts = [];

    public int RowsPerStatement { get; init; } = Math.Max(1, 512 / columns.Length);

    public int Rows => _values.Count / columns.Length;

    public void Add(params ReadOnlySpan<object?> row)
    {
        if (row.Length != columns.Length)
        {
            throw new ArgumentException($"{table} takes {columns.Length} values per row, got {row.Length}", nameof(row));
        }
        foreach (var value in row)
        {
            _values.Add(value);
        }
    }

    /// <summary>Writes every buffered row; calls <paramref name="onReturned"/> for each row a RETURNING clause yields.</summary>
    public async Task<long> FlushAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken, Action<IRowValues>? onReturned = null)
    {
        if (BackendFor(connection) is { } backend)
        {
            try
            {
                return await backend.ExecuteAsync(connection, table, columns, suffix, _values, onReturned, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _values.Clear();
            }
        }
        var rows = Rows;
        long written = 0;
        DbCommand? full = null;
        try
        {
            for (var start = 0; start < rows; start += RowsPerStatement)
            {
                var count = Math.Min(RowsPerStatement, rows - start);
                DbCommand command;
                if (count == RowsPerStatement)
                {
                    full ??= Create(connection, transaction, count);
                    command = full;
                }
                else
                {
                    command = Create(connection, transaction, count);
                }
                var offset = start * columns.Length;
                for (var i = 0; i < count * columns.Length; i++)
                {
                    command.Parameters[i].Value = _values[offset + i] ?? DBNull.Value;
                }
                if (onReturned is null)
                {
                    written += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    var row = new ReaderRow(reader);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        onReturned(row);
                        written++;
                    }
                }
                if (!ReferenceEquals(command, full))
                {
                    await command.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (full is not null)
            {
                await full.DisposeAsync().ConfigureAwait(false);
            }
            _values.Clear();
        }
        return written;
    }

    private DbCommand Create(DbConnection connection, DbTransaction transaction, int rows)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = Text(rows);
        for (var i = 0; i < rows * columns.Length; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            command.Parameters.Add(parameter);
        }
        return command;
    }

    private string Text(int rows)
    {
        if (_texts.TryGetValue(rows, out var text))
        {
            return text;
        }
        var sql = new StringBuilder("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", columns).Append(") VALUES ");
        var p = 0;
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < columns.Length; c++)
            {
                sql.Append(c == 0 ? "@p" : ", @p").Append(p++);
            }
            sql.Append(')');
        }
        sql.Append(' ').Append(suffix);
        return _texts[rows] = sql.ToString();
    }
}

/// <summary>The columns of one row a <c>RETURNING</c> clause gave back.</summary>
public interface IRowValues
{
    string GetString(int ordinal);
    long GetInt64(int ordinal);
}

/// <summary>A backend's own way to run a <see cref="BulkStatement"/>: the same rows and SQL clauses, written faster.</summary>
public interface IBulkBackend
{
    bool Handles(DbConnection connection);

    /// <summary>Inserts <paramref name="values"/> (row-major, <paramref name="columns"/> per row) with <paramref name="suffix"/> after each row's VALUES.</summary>
    Task<long> ExecuteAsync(DbConnection connection, string table, string[] columns, string suffix, IReadOnlyList<object?> values, Action<IRowValues>? onReturned, CancellationToken cancellationToken);
}

internal sealed class ReaderRow(DbDataReader reader) : IRowValues
{
    public string GetString(int ordinal) => reader.GetString(ordinal);
    public long GetInt64(int ordinal) => Convert.ToInt64(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);
}
