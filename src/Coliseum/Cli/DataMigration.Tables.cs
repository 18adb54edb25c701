using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Coliseum.Cli;

/// <summary>The small tables (privacy, reports): copied column by column, typed by the target's columns.</summary>
internal sealed partial class DataMigration
{
    /// <summary>Whether a table exists on each side, its rows on the source, and the columns both sides have.</summary>
    private async Task<TableCopy> PlanTableAsync(string table, CancellationToken cancellationToken)
    {
        var sourceColumns = await SourceColumnsAsync(table, cancellationToken);
        if (sourceColumns.Count == 0)
        {
            return new TableCopy(table, "not in the source; nothing to copy");
        }
        var rows = await SourceScalarAsync($"SELECT COUNT(*) FROM {table}", cancellationToken);
        var targetColumns = await TargetColumnsAsync(table, cancellationToken);
        if (targetColumns.Count == 0)
        {
            return rows == 0
                ? new TableCopy(table, "empty in the source, and not in the target yet")
                : new TableCopy(table, "", $"the source has {rows:N0} rows in {table}, but {schema} has no such table (this Coliseum's PostgreSQL migrations predate it); nothing was copied");
        }
        var missing = sourceColumns.Where(c => !targetColumns.ContainsKey(c)).ToList();
        if (missing.Count > 0)
        {
            return new TableCopy(table, "", $"{schema}.{table} has no column {string.Join(", ", missing)}, which the source's holds; nothing was copied");
        }
        return new TableCopy(table, "", null, sourceColumns, targetColumns, rows);
    }

    /// <summary>
    /// Inserts every source row in one transaction, keeping ids (a suppression names its request by id) and skipping
    /// a row whose key is already there (a second run); then moves an identity column's sequence past the ids copied.
    /// </summary>
    private async Task<TableCopy> CopyTableAsync(TableCopy table, CancellationToken cancellationToken)
    {
        if (table.Columns is not { } columns || table.TargetColumns is not { } types)
        {
            return table;
        }
        var list = string.Join(", ", columns);
        await using var connection = await target.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {table.Name} ({list}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))}) ON CONFLICT DO NOTHING", connection, transaction);
        for (var i = 0; i < columns.Count; i++)
        {
            insert.Parameters.Add(new NpgsqlParameter($"p{i}", ParameterType(types[columns[i]].Type)));
        }
        var added = 0;
        await using (var source = new SqliteConnection(_sourceConnectionString))
        {
            await source.OpenAsync(cancellationToken);
            await using var select = source.CreateCommand();
            select.CommandText = $"SELECT {list} FROM {table.Name}";
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                for (var i = 0; i < columns.Count; i++)
                {
                    insert.Parameters[i].Value = Convert(reader.GetValue(i), types[columns[i]].Type, table.Name, columns[i]);
                }
                added += await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        foreach (var (column, info) in types.Where(t => t.Value.Identity))
        {
            await using var advance = new NpgsqlCommand(
                $"SELECT setval(pg_get_serial_sequence(@table, @column), m) FROM (SELECT MAX({column}) AS m FROM {table.Name}) AS x WHERE m IS NOT NULL", connection, transaction);
            advance.Parameters.AddWithValue("table", table.Name);
            advance.Parameters.AddWithValue("column", column);
            await advance.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        var kept = table.SourceRows - added;
        return table with { Message = $"{added:N0} rows copied" + (kept > 0 ? $", {kept:N0} already there" : "") };
    }

    private static NpgsqlDbType ParameterType(string type) => type switch
    {
        "bigint" => NpgsqlDbType.Bigint,
        "integer" => NpgsqlDbType.Integer,
        "smallint" => NpgsqlDbType.Smallint,
        "boolean" => NpgsqlDbType.Boolean,
        "jsonb" => NpgsqlDbType.Jsonb,
        "json" => NpgsqlDbType.Json,
        "double precision" => NpgsqlDbType.Double,
        "text" or "character varying" => NpgsqlDbType.Text,
        _ => throw new MigrationException($"migrate-data cannot copy into a column of type {type}"),
    };

    /// <summary>SQLite's value as the target column wants it: its integers become booleans (0 false) or narrower integers.</summary>
    private static object Convert(object value, string type, string table, string column) => (value, type) switch
    {
        (DBNull, _) => DBNull.Value,
        (long l, "boolean") => l != 0,
        (long l, "integer") => checked((int)l),
        (long l, "smallint") => checked((short)l),
        (long l, "double precision") => (double)l,
        (long or double, "bigint" or "double precision") => value,
        (string, "text" or "character varying" or "jsonb" or "json") => value,
        _ => throw new MigrationException($"{table}.{column}: cannot copy a {value.GetType().Name} from SQLite into a {type} column"),
    };

    private async Task<List<string>> SourceColumnsAsync(string table, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_sourceConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_table_info($table) ORDER BY cid";
        command.Parameters.AddWithValue("$table", table);
        var columns = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            columns.Add(reader.GetString(0));
        }
        return columns;
    }

    private async Task<Dictionary<string, (string Type, bool Identity)>> TargetColumnsAsync(string table, CancellationToken cancellationToken)
    {
        await using var command = target.CreateCommand(
            "SELECT column_name, data_type, is_identity = 'YES' FROM information_schema.columns WHERE table_schema = @schema AND table_name = @table");
        command.Parameters.AddWithValue("schema", schema);
        command.Parameters.AddWithValue("table", table);
        var columns = new Dictionary<string, (string, bool)>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            columns[reader.GetString(0)] = (reader.GetString(1), reader.GetBoolean(2));
        }
        return columns;
    }

    private async Task<bool> SourceHasTableAsync(string table, CancellationToken cancellationToken) =>
        (await SourceColumnsAsync(table, cancellationToken)).Count > 0;

    private async Task<long> SourceScalarAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_sourceConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<HashSet<long>> SourceRequestIdsAsync(CancellationToken cancellationToken)
    {
        var ids = new HashSet<long>();
        if (!await SourceHasTableAsync("privacy_requests", cancellationToken))
        {
            return ids;
        }
        await using var connection = new SqliteConnection(_sourceConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM privacy_requests";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetInt64(0));
        }
        return ids;
    }

    /// <summary>The target's privacy request ids, or null when it has no such table.</summary>
    private async Task<HashSet<long>?> TargetRequestIdsAsync(CancellationToken cancellationToken)
    {
        if ((await TargetColumnsAsync("privacy_requests", cancellationToken)).Count == 0)
        {
            return null;
        }
        await using var command = target.CreateCommand("SELECT id FROM privacy_requests");
        var ids = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetInt64(0));
        }
        return ids;
    }
}

/// <param name="Message">What happened to the table, for the summary.</param>
/// <param name="Refusal">Why the migration must not start, or null.</param>
/// <param name="Columns">The source's columns, all present on the target; null when there is nothing to copy.</param>
internal sealed record TableCopy(string Name, string Message, string? Refusal = null, IReadOnlyList<string>? Columns = null,
    IReadOnlyDictionary<string, (string Type, bool Identity)>? TargetColumns = null, long SourceRows = 0);
