using Coliseum.Storage.Postgres;
using Npgsql;

namespace Coliseum.Tests.Infrastructure;

/// <summary>
/// A schema of its own on the test PostgreSQL server, which <c>COLISEUM_TEST_POSTGRES</c> names (an Npgsql
/// connection string). Make one per test class instance (xunit makes one per test), so tests that run in
/// parallel never see each other's rows; disposing it drops the schema. Without the variable, the test
/// fails and says how to start a server: CI always sets it, so a silent skip would only hide a broken setup.
/// </summary>
public sealed class PostgresSchema : IAsyncDisposable
{
    public const string Variable = "COLISEUM_TEST_POSTGRES";

    private readonly string _serverConnectionString;

    private PostgresSchema(string serverConnectionString, string name)
    {
        _serverConnectionString = serverConnectionString;
        Name = name;
        DataSource = PostgresDataSource.Create(serverConnectionString, name);
    }

    public string Name { get; }

    /// <summary>Connections whose search_path is this schema, as the stores get theirs.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>Another pool on the same schema: a second process, as far as the server can tell.</summary>
    /// <param name="applicationName">Shown in pg_stat_activity, so a test can find this pool's sessions.</param>
    public NpgsqlDataSource NewDataSource(string? applicationName = null) => PostgresDataSource.Create(
        applicationName is null ? _serverConnectionString : new NpgsqlConnectionStringBuilder(_serverConnectionString) { ApplicationName = applicationName }.ConnectionString,
        Name);

    /// <param name="prefix">Goes into the schema's name, to tell in psql which test left it (lower case).</param>
    /// <param name="create">False leaves it to the code under test to make the schema.</param>
    public static async Task<PostgresSchema> CreateAsync(string prefix, bool create = true)
    {
        var connectionString = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"{Variable} is not set, so the PostgreSQL tests have no server. Start a throwaway one and point the tests at it: " +
                "scripts/test-postgres.sh start && eval \"$(scripts/test-postgres.sh env)\" (needs Debian's postgresql package), " +
                $"or set {Variable} to an Npgsql connection string for any PostgreSQL 15+ where the user may create schemas. See docs/postgres.md.");
        }
        var schema = new PostgresSchema(connectionString, $"test_{prefix}_{Guid.NewGuid():N}");
        try
        {
            await schema.ExecuteOnServerAsync(create ? $"CREATE SCHEMA {schema.Name}" : "SELECT 1");
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            await schema.DataSource.DisposeAsync();
            throw new InvalidOperationException(
                $"{Variable} is set, but its server does not answer ({ex.Message}). Is it running? scripts/test-postgres.sh start", ex);
        }
        return schema;
    }

    /// <summary>One statement on a connection with the server's own search_path (public), not the schema's.</summary>
    public async Task ExecuteOnServerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A single value, on a connection whose search_path is this schema.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await ExecuteOnServerAsync($"DROP SCHEMA IF EXISTS {Name} CASCADE");
    }
}
