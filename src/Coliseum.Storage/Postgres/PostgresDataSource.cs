using System.Text.RegularExpressions;
using Npgsql;

namespace Coliseum.Storage.Postgres;

/// <summary>
/// Builds the <see cref="NpgsqlDataSource"/> every PostgreSQL store shares: its connections look up
/// unqualified table names in Coliseum's schema (<c>search_path</c>), so the SQL is the same in any schema.
/// </summary>
public static partial class PostgresDataSource
{
    /// <param name="schema">Where Coliseum's tables live (<c>public</c> by default); made by the migrations if missing.</param>
    public static NpgsqlDataSource Create(string connectionString, string schema)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = ValidSchema(schema) };
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
    }

    /// <summary>
    /// The schema name, refused unless it is a plain lower-case identifier: it goes into search_path and into
    /// DDL, where a name that needs quoting would be quoted in one place and not in the other.
    /// </summary>
    internal static string ValidSchema(string schema) => SchemaName().IsMatch(schema)
        ? schema
        : throw new ArgumentException($"'{schema}' is not a usable schema name: use lower-case letters, digits and '_', starting with a letter or '_' (at most 63)", nameof(schema));

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
