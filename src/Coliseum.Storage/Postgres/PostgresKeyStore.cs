using Npgsql;
using NpgsqlTypes;

namespace Coliseum.Storage.Postgres;

/// <summary>
/// <see cref="IKeyStore"/> on PostgreSQL (<c>coliseum_keys</c>, migration 007 in <c>Scripts/Postgres</c>), in
/// the schema the data source's search_path names (<see cref="PostgresDataSource.Create"/>). Each call takes
/// a pooled connection; several processes may use one database at once.
/// </summary>
public sealed class PostgresKeyStore(NpgsqlDataSource dataSource) : IKeyStore
{
    private const string Columns = StoreRows.KeyColumns;

    public async Task<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM coliseum_keys ORDER BY id");
        return await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> VersionAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT version FROM coliseum_keys_version WHERE id = 1");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<StoredKey> AddAsync(NewKey key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await InsertAsync(connection, null, key, ignoreExisting: false, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("the key was not stored");
        }
        catch (PostgresException ex) when (IsDuplicateHash(ex))
        {
            throw new InvalidOperationException("a key with this hash is already stored", ex);
        }
    }

    public async Task<bool> AddIfEmptyAsync(IReadOnlyList<NewKey> keys, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // SHARE ROW EXCLUSIVE conflicts with itself and with every INSERT, UPDATE and DELETE but not with reads:
        // another process's AddIfEmpty (or Add) waits here until this transaction ends, and the check below,
        // a new statement under READ COMMITTED, then sees what that one committed.
        await using (var exists = new NpgsqlCommand("LOCK TABLE coliseum_keys IN SHARE ROW EXCLUSIVE MODE; SELECT EXISTS (SELECT 1 FROM coliseum_keys)", connection, transaction))
        {
            if ((bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return false;
            }
        }
        try
        {
            foreach (var key in keys)
            {
                await InsertAsync(connection, transaction, key, ignoreExisting: false, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (PostgresException ex) when (IsDuplicateHash(ex))
        {
            throw new InvalidOperationException("two of the keys share a hash", ex);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<int> ImportAsync(IReadOnlyList<NewKey> keys, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var added = 0;
        foreach (var key in keys)
        {
            // ON CONFLICT DO NOTHING also waits for, then skips, a hash another process is inserting right now.
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
        // COALESCE keeps the first revocation time, and the UPDATE of an already revoked key changes nothing.
        await using var command = dataSource.CreateCommand($"UPDATE coliseum_keys SET revoked_at = COALESCE(revoked_at, @at) WHERE id = @id RETURNING {Columns}");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("at", at);
        var rows = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<StoredKey?> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, NewKey key, bool ignoreExisting, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            INSERT INTO coliseum_keys (name, role, sha256, prefix, source, created_at) VALUES (@name, @role, @sha256, @prefix, @source, @created)
            {(ignoreExisting ? "ON CONFLICT (sha256) DO NOTHING" : "")} RETURNING {Columns}
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter("name", NpgsqlDbType.Text) { Value = (object?)key.Name ?? DBNull.Value });
        command.Parameters.AddWithValue("role", KeyRoleNames.Name(key.Role));
        command.Parameters.AddWithValue("sha256", key.Sha256);
        command.Parameters.AddWithValue("prefix", key.Prefix);
        command.Parameters.AddWithValue("source", key.Source);
        command.Parameters.AddWithValue("created", key.CreatedAt);
        var rows = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>23505 on the hash's constraint; a clash on the id (someone inserted ids by hand) stays a PostgresException.</summary>
    private static bool IsDuplicateHash(PostgresException ex) =>
        ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "coliseum_keys_sha256_unique";

    private static Task<IReadOnlyList<StoredKey>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken) => StoreRows.KeysAsync(command, cancellationToken);
}
