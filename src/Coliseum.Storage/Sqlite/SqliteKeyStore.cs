using Microsoft.Data.Sqlite;

namespace Coliseum.Storage.Sqlite;

/// <summary>
/// <see cref="IKeyStore"/> on the Coliseum SQLite file (<c>coliseum_keys</c>, migration 007). Each call opens
/// a pooled connection; WAL lets <c>coliseum keys</c> write here while a server is running, and a write waits
/// (busy timeout) for the server's commit in progress rather than failing.
/// </summary>
public sealed class SqliteKeyStore(string path) : IKeyStore
{
    private const string Columns = StoreRows.KeyColumns;

    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = Path.GetFullPath(path),
        Mode = SqliteOpenMode.ReadWrite,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public async Task<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM coliseum_keys ORDER BY id";
        return await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> VersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM coliseum_keys_version WHERE id = 1";
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<StoredKey> AddAsync(NewKey key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await InsertAsync(connection, null, key, ignoreExisting: false, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("the key was not stored");
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19) // SQLITE_CONSTRAINT: the hash is already there
        {
            throw new InvalidOperationException("a key with this hash is already stored", ex);
        }
    }

    public async Task<bool> AddIfEmptyAsync(IReadOnlyList<NewKey> keys, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // BEGIN IMMEDIATE: the check and the inserts see no other writer in between.
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using (var count = connection.CreateCommand())
        {
            count.Transaction = transaction;
            count.CommandText = "SELECT EXISTS (SELECT 1 FROM coliseum_keys)";
            if ((long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! != 0)
            {
                return false;
            }
        }
        foreach (var key in keys)
        {
            await InsertAsync(connection, transaction, key, ignoreExisting: false, cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<int> ImportAsync(IReadOnlyList<NewKey> keys, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // BEGIN IMMEDIATE: the check and the inserts see no other writer in between.
        await using var transaction = connection.BeginTransaction(deferred: false);
        var added = 0;
        foreach (var key in keys)
        {
            if (await InsertAsync(connection, transaction, key, ignoreExisting: true, cancellationToken).ConfigureAwait(false) is not null)
            {
                added++;
            }
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return added;
    }

    public async Task<StoredKey?> RevokeAsync(long id, long at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // COALESCE keeps the first revocation time, and the UPDATE of an already revoked key changes nothing.
        command.CommandText = $"UPDATE coliseum_keys SET revoked_at = COALESCE(revoked_at, $at) WHERE id = $id RETURNING {Columns}";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$at", at);
        var rows = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<StoredKey?> InsertAsync(SqliteConnection connection, SqliteTransaction? transaction, NewKey key, bool ignoreExisting, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            INSERT INTO coliseum_keys (name, role, sha256, prefix, source, created_at) VALUES ($name, $role, $sha256, $prefix, $source, $created)
            {(ignoreExisting ? "ON CONFLICT (sha256) DO NOTHING" : "")} RETURNING {Columns}
            """;
        command.Parameters.AddWithValue("$name", (object?)key.Name ?? DBNull.Value);
        command.Parameters.AddWithValue("$role", KeyRoleNames.Name(key.Role));
        command.Parameters.AddWithValue("$sha256", key.Sha256);
        command.Parameters.AddWithValue("$prefix", key.Prefix);
        command.Parameters.AddWithValue("$source", key.Source);
        command.Parameters.AddWithValue("$created", key.CreatedAt);
        var rows = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static Task<IReadOnlyList<StoredKey>> ReadAllAsync(SqliteCommand command, CancellationToken cancellationToken) => StoreRows.KeysAsync(command, cancellationToken);
}
