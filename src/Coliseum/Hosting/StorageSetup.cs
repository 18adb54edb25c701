using Coliseum.Storage;
using Coliseum.Storage.Postgres;
using Coliseum.Storage.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Coliseum.Hosting;

/// <summary>Opens the configured store: SQLite in the data directory (the default), or PostgreSQL.</summary>
internal static class StorageSetup
{
    public const string SqliteFile = "coliseum.db";

    /// <summary>Opens the store and applies its migrations; the caller disposes it.</summary>
    public static async Task<IPassportStore> OpenStoreAsync(ColiseumOptions options, string dataDirectory, CancellationToken cancellationToken)
    {
        IPassportStore store = Open(options, dataDirectory);
        try
        {
            await store.InitializeAsync(cancellationToken);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            await store.DisposeAsync();
            throw new StorageUnavailableException($"PostgreSQL at {Describe(options, dataDirectory)} does not answer: {ex.Message}", ex);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
        return store;
    }

    /// <summary>The store without touching the database yet (no migrations).</summary>
    public static IPassportStore Open(ColiseumOptions options, string dataDirectory)
    {
        var storage = options.Storage;
        if (storage.Provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return new SqlitePassportStore(Path.Combine(dataDirectory, SqliteFile));
        }
        if (!storage.IsPostgres)
        {
            throw new OptionsValidationException(nameof(StorageOptions.Provider), typeof(StorageOptions),
                [$"Coliseum:Storage:Provider '{storage.Provider}' is not known: use 'sqlite' (the default) or 'postgres'"]);
        }
        if (string.IsNullOrWhiteSpace(storage.ConnectionString))
        {
            throw new OptionsValidationException(nameof(StorageOptions.ConnectionString), typeof(StorageOptions),
                ["Coliseum:Storage:Provider is 'postgres' but there is no connection string: set ConnectionStrings__Coliseum (ConnectionStrings:Coliseum), e.g. Host=db;Database=coliseum;Username=coliseum;Password=…"]);
        }
        try
        {
            return PostgresPassportStore.Open(storage.ConnectionString, storage.Schema);
        }
        catch (ArgumentException ex)
        {
            // A malformed connection string or schema name; the message never repeats the connection string.
            throw new OptionsValidationException(nameof(StorageOptions), typeof(StorageOptions), [$"PostgreSQL settings: {ex.Message}"]);
        }
    }

    /// <summary>The key table in the same database as <paramref name="store"/>.</summary>
    public static IKeyStore KeyStore(IPassportStore store) => store switch
    {
        SqlitePassportStore sqlite => new SqliteKeyStore(sqlite.DatabasePath),
        PostgresPassportStore postgres => new PostgresKeyStore(postgres.DataSource),
        _ => throw new NotSupportedException($"no key store for {store.Provider}"),
    };

    /// <summary>Where the data is, for logs and messages: a file, or host/database/schema (never a password).</summary>
    public static string Describe(ColiseumOptions options, string dataDirectory)
    {
        if (!options.Storage.IsPostgres)
        {
            return Path.Combine(dataDirectory, SqliteFile);
        }
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(options.Storage.ConnectionString);
            return $"postgres://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database} schema {options.Storage.Schema}";
        }
        catch (ArgumentException)
        {
            return "postgres (connection string not readable)";
        }
    }
}
