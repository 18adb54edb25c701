using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Coliseum.Processing;
using Npgsql;
using NpgsqlTypes;

namespace Coliseum.Storage.Postgres;

/// <summary>
/// Runs the consumers' bulk statements on PostgreSQL as one <c>INSERT … SELECT * FROM unnest($1, $2, …)</c> per
/// flush, one array parameter per column, whatever the number of rows. Multi-row VALUES with hundreds of named
/// parameters cost more on the client (Npgsql rewrites every name, and PostgreSQL parses a new statement text
/// for each batch size) than the database spends executing them. The conflict clause and RETURNING are the same.
/// </summary>
internal sealed class PostgresBulkBackend : IBulkBackend
{
    public static readonly PostgresBulkBackend Instance = new();

    /// <summary>Each table's column types, read once (the migrations make the same tables in every schema).</summary>
    private readonly ConcurrentDictionary<string, Dictionary<string, NpgsqlDbType>> _types = new(StringComparer.Ordinal);

    public bool Handles(DbConnection connection) => connection is NpgsqlConnection;

    public async Task<long> ExecuteAsync(DbConnection connection, string table, string[] columns, string suffix, IReadOnlyList<object?> values, Action<IRowValues>? onReturned, CancellationToken cancellationToken)
    {
        if (values.Count == 0)
        {
            return 0;
        }
        var npgsql = (NpgsqlConnection)connection;
        if (!_types.TryGetValue(table, out var types))
        {
            types = await ReadTypesAsync(npgsql, table, cancellationToken).ConfigureAwait(false);
            _types[table] = types;
        }
        var rows = values.Count / columns.Length;
        var sql = new StringBuilder("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", columns).Append(") SELECT * FROM unnest(");
        await using var command = new NpgsqlCommand { Connection = npgsql };
        for (var c = 0; c < columns.Length; c++)
        {
            if (!types.TryGetValue(columns[c], out var type))
            {
                throw new InvalidOperationException($"{table}.{columns[c]} is not a column of {table} in this schema");
            }
            sql.Append(c == 0 ? "$" : ", $").Append(c + 1);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | type, Value = Column(values, columns.Length, c, rows, type, table, columns[c]) });
        }
        sql.Append(") ").Append(suffix);
        command.CommandText = sql.ToString();
        if (onReturned is null)
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        long returned = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var row = new Row(reader);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            onReturned(row);
            returned++;
        }
        return returned;
    }

    private static Array Column(IReadOnlyList<object?> values, int width, int column, int rows, NpgsqlDbType type, string table, string name)
    {
        switch (type)
        {
            case NpgsqlDbType.Bigint:
            {
                var array = new long?[rows];
                for (var r = 0; r < rows; r++)
                {
                    array[r] = values[r * width + column] is { } v and not DBNull ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : null;
                }
                return array;
            }
            case NpgsqlDbType.Text:
            {
                var array = new string?[rows];
                for (var r = 0; r < rows; r++)
                {
                    array[r] = values[r * width + column] is { } v and not DBNull ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;
                }
                return array;
            }
            default:
                throw new InvalidOperationException($"{table}.{name}: no bulk mapping for {type}");
        }
    }

    private static async Task<Dictionary<string, NpgsqlDbType>> ReadTypesAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = table });
        var types = new Dictionary<string, NpgsqlDbType>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            types[reader.GetString(0)] = reader.GetString(1) switch
            {
                "bigint" => NpgsqlDbType.Bigint,
                "text" => NpgsqlDbType.Text,
                var other => throw new InvalidOperationException($"{table}.{reader.GetString(0)} is {other}; the bulk writer maps bigint and text"),
            };
        }
        if (types.Count == 0)
        {
            throw new InvalidOperationException($"no table {table} in the current schema");
        }
        return types;
    }

    private sealed class Row(NpgsqlDataReader reader) : IRowValues
    {
        public string GetString(int ordinal) => reader.GetString(ordinal);
        public long GetInt64(int ordinal) => Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);
    }
}
