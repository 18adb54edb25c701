using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Coliseum.Tests.Infrastructure;

/// <summary>
/// Plain SQL against a test's database, opened read-write like any other client of it: a SQLite file path, or
/// <c>postgres:&lt;schema&gt;</c> on the PostgreSQL test server (<see cref="TestBackend"/>).
/// </summary>
public static class Sql
{
    private static DbConnection Open(string database)
    {
        if (database.StartsWith(TestBackend.Prefix, StringComparison.Ordinal))
        {
            return TestBackend.Open(database[TestBackend.Prefix.Length..]);
        }
        var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        return connection;
    }

    private static DbCommand Command(DbConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    public static T Scalar<T>(string database, string sql)
    {
        using var connection = Open(database);
        using var command = Command(connection, sql);
        var value = command.ExecuteScalar();
        return value is null or DBNull ? default!
            : typeof(T) == typeof(string) ? (T)(object)Text(value)
            : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static List<string> Column(string database, string sql)
    {
        using var connection = Open(database);
        using var command = Command(connection, sql);
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.IsDBNull(0) ? "" : Text(reader.GetValue(0)));
        }
        return values;
    }

    /// <summary>Rows of a query as strings (NULL as "∅"), each row's columns joined by '|'.</summary>
    public static List<string> Rows(string database, string sql)
    {
        using var connection = Open(database);
        using var command = Command(connection, sql);
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var values = new string[reader.FieldCount];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = reader.IsDBNull(i) ? "∅" : Text(reader.GetValue(i));
            }
            rows.Add(string.Join('|', values));
        }
        return rows;
    }

    /// <summary>Runs a statement (e.g. an UPDATE that corrupts a row on purpose); returns the rows changed.</summary>
    public static int Execute(string database, string sql)
    {
        using var connection = Open(database);
        using var command = Command(connection, sql);
        return command.ExecuteNonQuery();
    }

    /// <summary>
    /// A value as SQLite's own text would show it: PostgreSQL's booleans as 1 and 0, its timestamptz (passport_entries'
    /// created_at and received_at) in the ISO 8601 form SQLite's view gives.
    /// </summary>
    private static string Text(object value) => value switch
    {
        bool b => b ? "1" : "0",
        DateTime t => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
    };
}
