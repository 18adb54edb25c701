using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Coliseum.Storage.Sqlite;

/// <summary>
/// Applies the numbered scripts embedded under <c>Scripts/Sqlite/NNN_name.sql</c> in order, each in
/// one transaction together with its row in <c>schema_migrations</c>.
/// </summary>
internal static class SqliteMigrations
{
    private const string Prefix = "Coliseum.Storage.Scripts.Sqlite.";

    public static IReadOnlyList<(int Version, string Name)> Scripts { get; } = MigrationScripts.List(Prefix);

    public static void Apply(SqliteConnection connection)
    {
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
            create.ExecuteNonQuery();
        }
        foreach (var (version, name) in Scripts)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            using (var check = connection.CreateCommand())
            {
                check.Transaction = transaction;
                check.CommandText = "SELECT COUNT(*) FROM schema_migrations WHERE version = $v";
                check.Parameters.AddWithValue("$v", version);
                if ((long)check.ExecuteScalar()! > 0)
                {
                    continue;
                }
            }
            using (var apply = connection.CreateCommand())
            {
                apply.Transaction = transaction;
                apply.CommandText = Read(name);
                apply.ExecuteNonQuery();
            }
            using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($v, $n, $t)";
                record.Parameters.AddWithValue("$v", version);
                record.Parameters.AddWithValue("$n", name);
                record.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                record.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    private static string Read(string name) => MigrationScripts.Read(Prefix, name);
}
