using System.Globalization;
using System.Reflection;
using Npgsql;

namespace Coliseum.Storage.Postgres;

/// <summary>
/// Applies the numbered scripts embedded under <c>Scripts/Postgres/NNN_name.sql</c> in order, in one schema
/// (made if missing), each in one transaction together with its row in <c>schema_migrations</c>. Every
/// transaction first takes one advisory lock, so processes starting at once on one database wait for each
/// other and each script runs once.
/// </summary>
internal static class PostgresMigrations
{
    private const string Prefix = "Coliseum.Storage.Scripts.Postgres.";

    /// <summary>pg_advisory_xact_lock key for migrations: "COLISEUM" in ASCII; nothing else takes it.</summary>
    internal const long LockKey = 0x434F_4C49_5345_554D;

    public static IReadOnlyList<(int Version, string Name)> Scripts { get; } = MigrationScripts.List(Prefix);

    public static async Task ApplyAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        schema = PostgresDataSource.ValidSchema(schema);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        // Under the lock too: two concurrent CREATE SCHEMA IF NOT EXISTS can both try to insert the name.
        await using (var transaction = await BeginLockedAsync(connection, schema, cancellationToken).ConfigureAwait(false))
        {
            await ExecuteAsync(connection, transaction, $"""
                CREATE SCHEMA IF NOT EXISTS {schema};
                CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
                """, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var (version, name) in Scripts)
        {
            await using var transaction = await BeginLockedAsync(connection, schema, cancellationToken).ConfigureAwait(false);
            await using (var check = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = @v)", connection, transaction))
            {
                check.Parameters.AddWithValue("v", (long)version);
                if ((bool)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    continue;
                }
            }
            await ExecuteAsync(connection, transaction, Read(name), cancellationToken).ConfigureAwait(false);
            await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES (@v, @n)", connection, transaction))
            {
                record.Parameters.AddWithValue("v", (long)version);
                record.Parameters.AddWithValue("n", name);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A transaction holding the migration lock, with search_path set to <paramref name="schema"/> whatever
    /// the data source says, so the scripts' unqualified names land there.
    /// </summary>
    private static async Task<NpgsqlTransaction> BeginLockedAsync(NpgsqlConnection connection, string schema, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock(@key); SET LOCAL search_path TO {schema}", connection, transaction);
            command.Parameters.AddWithValue("key", LockKey);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Read(string name) => MigrationScripts.Read(Prefix, name);
}
